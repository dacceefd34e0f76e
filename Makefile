# streamkv — PGXS build.
#
# The install script streamkv--1.0.sql is assembled from src/sql/*.sql (one
# piece per subsystem, applied in name order) so that subsystems keep their
# SQL next to each other; the assembled file is committed as well.
#
# Test builds add -Werror: `make COPT='-Wall -Wextra -Wno-unused-parameter -Werror -DUSE_ASSERT_CHECKING'`
# (-Wno-unused-parameter: PostgreSQL's own headers and fmgr conventions trip it)
# (scripts/test.sh does this); users' builds never get -Werror.

EXTENSION = streamkv
MODULE_big = streamkv
SRCS = $(sort $(wildcard src/*.c))
OBJS = $(SRCS:.c=.o)
DATA = streamkv--1.0.sql
PG_CPPFLAGS = -I$(srcdir)/src
# -MMD -MP: objects are rebuilt when a header they include changes.  In
# CFLAGS, not CPPFLAGS: the bitcode compile (clang, for JIT) shares CPPFLAGS
# and would overwrite src/x.d with a rule for src/x.bc, hiding x.o's headers.
PG_CFLAGS = -MMD -MP
# -Bsymbolic: calls between streamkv's own files bind to streamkv's
# functions, never to a same-named function of the postgres executable or of
# another library (e.g. the parser's make_op); PostgreSQL 15 has no
# -fvisibility=hidden for extensions.
SHLIB_LINK = -lm -Wl,-Bsymbolic

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=results/regress
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --outputdir=results/isolation
TAP_TESTS = 1
EXTRA_CLEAN = results $(OBJS:.o=.d)

SQL_PIECES = $(sort $(wildcard src/sql/*.sql))

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

streamkv--1.0.sql: $(SQL_PIECES) Makefile
	( echo '-- Generated from src/sql/*.sql by make: edit those files, not this one.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION streamkv" to load this file. \quit'; \
	  for f in $(SQL_PIECES); do echo; echo "-- ==== $$f"; cat $$f; done ) > $@

all: streamkv--1.0.sql

-include $(OBJS:.o=.d)
