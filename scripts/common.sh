# streamkv harness: shared helpers, sourced by scripts/run.sh and scripts/test.sh.
#
# Model (see README "Running the tests"):
#  * dependencies come from Debian apt, installed only when missing;
#  * the extension is built with the system pg_config and installed with
#    DESTDIR into a PRIVATE copy of PostgreSQL 15 under .pgrun/inst, so no
#    system directory is ever written and several checkouts do not clash;
#  * servers and test runners never run as root (initdb refuses): as root we
#    build as root and run them as an unprivileged user (postgres, or a
#    `streamkv` user created on demand), copying the checkout to /tmp when that
#    user cannot read it where it is.

set -euo pipefail

PGMAJOR=15
SYS_PGBIN=/usr/lib/postgresql/$PGMAJOR/bin
SYS_PG_CONFIG=$SYS_PGBIN/pg_config
DEB_PACKAGES=(postgresql-$PGMAJOR postgresql-server-dev-$PGMAJOR libipc-run-perl perl make gcc redis-server
              librdkafka-dev postgresql-$PGMAJOR-postgis-3 python3-psycopg2 python3-redis
              debhelper dpkg-dev)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
RUNDIR=$REPO/.pgrun
INST=$RUNDIR/inst
IBIN=$INST/usr/lib/postgresql/$PGMAJOR/bin
IPGXS=$INST/usr/lib/postgresql/$PGMAJOR/lib/pgxs
PG_REGRESS=$IPGXS/src/test/regress/pg_regress
PG_ISOLATION_REGRESS=$IPGXS/src/test/isolation/pg_isolation_regress
TAP_PERL=$IPGXS/src/test/perl

export LC_ALL=C LANG=C
unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS PGDATA

say()  { printf '==> %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---- dependencies ---------------------------------------------------------
pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# skv_deps [extra packages...]: apt-get install whatever is missing.
skv_deps() {
	local missing=() p
	for p in "${DEB_PACKAGES[@]}" "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing missing Debian packages: ${missing[*]}"
	local SUDO=()
	if ! is_root; then
		command -v sudo >/dev/null || die "missing packages (${missing[*]}) and no sudo; install them as root"
		SUDO=(sudo)
	fi
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}

# ---- the unprivileged user ------------------------------------------------
# RUN_USER: who runs servers and tests. Empty when we are not root.
RUN_USER=
skv_pick_user() {
	is_root || return 0
	if id postgres >/dev/null 2>&1; then
		RUN_USER=postgres
	else
		id streamkv >/dev/null 2>&1 ||
			useradd --system --create-home --home-dir /var/lib/streamkv --shell /bin/bash streamkv
		RUN_USER=streamkv
	fi
}

# as_user CMD...: run CMD as RUN_USER (or directly when not root), in $REPO.
as_user() {
	if [ -n "$RUN_USER" ]; then
		(cd "$REPO" && runuser -u "$RUN_USER" -- env HOME="$(getent passwd "$RUN_USER" | cut -d: -f6)" "$@")
	else
		(cd "$REPO" && "$@")
	fi
}

# Can RUN_USER read the checkout where it is?
skv_user_can_read_repo() {
	[ -z "$RUN_USER" ] && return 0
	runuser -u "$RUN_USER" -- sh -c '
		cd "$1" || exit 1
		test -r Makefile && test -r scripts/common.sh || exit 1
		if find . -path ./.pgrun -prune -o ! -readable -print -quit | grep -q .; then exit 1; fi
		exit 0' sh "$REPO" 2>/dev/null
}

# skv_copy_repo DEST: copy the checkout (without build products and run
# state) to DEST, readable by everyone, run state owned by RUN_USER.
skv_copy_repo() {
	local dest=$1
	mkdir -p "$dest"
	tar -C "$REPO" --exclude=./.pgrun --exclude=./results --exclude=./tmp_check \
		--exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$dest" -xf -
	find "$dest" \( -path "$dest/.pgrun" -o -path "$dest/results" -o -path "$dest/tmp_check" \) -prune \
		-o -exec chmod u+rwX,go+rX {} +
	chmod go+rx "$dest"
}

# Directories the unprivileged user writes to.
skv_own_dirs() {
	mkdir -p "$@"
	if [ -n "$RUN_USER" ]; then chown "$RUN_USER:" "$@"; fi
}

# If the user owning a checkout runs the scripts through sudo, run as that user.
# Sets REEXEC_AS_OWNER to the owner's name when that applies.
skv_repo_owner() {
	local owner
	owner=$(stat -c %U "$REPO")
	if is_root && [ "$owner" != root ] && [ "$owner" != UNKNOWN ]; then echo "$owner"; fi
}

# ---- build and private install ---------------------------------------------
# skv_inst_tree: (re)copy the system PostgreSQL 15 into $INST when absent,
# when the system minor version changed, or when PostGIS is missing from it.
skv_inst_tree() {
	local sysver instver=
	sysver=$("$SYS_PGBIN/postgres" --version)
	[ -x "$IBIN/postgres" ] && instver=$("$IBIN/postgres" --version 2>/dev/null || true)
	if [ "$sysver" != "$instver" ] ||
	   { [ -e /usr/share/postgresql/$PGMAJOR/extension/postgis.control ] &&
	     [ ! -e "$INST/usr/share/postgresql/$PGMAJOR/extension/postgis.control" ]; }; then
		say "copying PostgreSQL $PGMAJOR ($sysver) into $INST"
		rm -rf "$INST"
		mkdir -p "$INST/usr/lib/postgresql" "$INST/usr/share/postgresql"
		cp -a /usr/lib/postgresql/$PGMAJOR "$INST/usr/lib/postgresql/"
		cp -a /usr/share/postgresql/$PGMAJOR "$INST/usr/share/postgresql/"
	fi
}

# skv_build COPT: build with the system pg_config and install into $INST.
# Returns non-zero on failure (callers may use it in a condition).
skv_build() {
	local copt=$1
	say "building streamkv (COPT=$copt)"
	# Object files from a build with other flags must not be reused.
	local stamp=$RUNDIR/build-flags
	if [ ! -e "$stamp" ] || [ "$(cat "$stamp")" != "$copt" ]; then
		rm -f "$REPO"/src/*.o "$REPO"/src/*.bc "$REPO"/*.so "$REPO"/*.bc
	fi
	make -C "$REPO" -s -j"$(nproc)" PG_CONFIG="$SYS_PG_CONFIG" COPT="$copt" || return 1
	printf '%s' "$copt" >"$stamp" || return 1
	make -C "$REPO" -s PG_CONFIG="$SYS_PG_CONFIG" install DESTDIR="$INST" >/dev/null || return 1
}

# ---- clusters ----------------------------------------------------------------
# skv_sockdir PREFERRED: PREFERRED unless a socket path in it would be too long.
skv_sockdir() {
	local want=$1
	if [ $(( ${#want} + 20 )) -lt 100 ]; then echo "$want"; return; fi
	local d=/tmp/streamkv-sock-$(printf '%s' "$want" | cksum | cut -d' ' -f1)
	mkdir -p "$d"; [ -n "$RUN_USER" ] && chown "$RUN_USER:" "$d"
	echo "$d"
}

# skv_initdb DATADIR PORT SOCKDIR [extra conf lines...]  (returns 1 on failure)
skv_initdb() {
	local data=$1 port=$2 sock=$3; shift 3
	as_user "$IBIN/initdb" -D "$data" -A trust -E UTF8 --no-locale --no-sync >"$data.initdb.log" 2>&1 ||
		{ cat "$data.initdb.log" >&2; echo "ERROR: initdb failed" >&2; return 1; }
	{
		echo
		echo "# ---- streamkv harness ----"
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$sock'"
		echo "shared_preload_libraries = 'streamkv'"
		echo "lc_messages = 'C'"
		echo "log_line_prefix = '%m [%p] %q%a '"
		local l; for l in "$@"; do echo "$l"; done
	} >>"$data/postgresql.conf"
}

# skv_pg_ctl ARGS...: pg_ctl from the private install, as the user.
skv_pg_ctl() { as_user "$IBIN/pg_ctl" "$@"; }

skv_running() { [ -e "$1/postmaster.pid" ] && as_user "$IBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# skv_enter SCRIPT COPYDEST ARGS...: settle who runs the script and where.
#  - not root: nothing to do;
#  - root in a checkout owned by someone else (sudo scripts/...): re-run as
#    the owner;
#  - root otherwise: pick RUN_USER; when RUN_USER cannot read the checkout,
#    copy it to COPYDEST (made readable) and re-run the script there.
# Dependencies must be installed before this (it may drop root).
skv_enter() {
	local script=$1 dest=$2; shift 2
	is_root || return 0
	local owner; owner=$(skv_repo_owner)
	if [ -n "$owner" ]; then
		say "checkout owned by $owner: running as $owner"
		exec runuser -u "$owner" -- env HOME="$(getent passwd "$owner" | cut -d: -f6)" \
			bash "$REPO/scripts/$script" "$@"
	fi
	skv_pick_user
	if ! skv_user_can_read_repo; then
		[ -n "${STREAMKV_COPY_OF:-}" ] && die "user $RUN_USER cannot read $REPO"
		[ -n "$dest" ] || dest=$(mktemp -d /tmp/streamkv-ci-XXXXXX)
		say "user $RUN_USER cannot read $REPO: working on a copy in $dest"
		skv_copy_repo "$dest"
		STREAMKV_COPY_OF=$REPO exec bash "$dest/scripts/$script" "$@"
	fi
	say "running servers and tests as user $RUN_USER"
}

# ---- benchmark clusters (bench/*.sh) -----------------------------------------
# skv_free_port PORT: PORT, or the next port no TCP socket on this machine uses. The
# benchmark ports lie in Linux's ephemeral range, so a client connection that just closed
# (TIME_WAIT) can hold one for a minute and make the server's bind fail.
skv_free_port() {
	local p=$1 i
	command -v ss >/dev/null || { echo "$p"; return; }
	for i in $(seq 0 49); do
		if [ -z "$(ss -Htan "( sport = :$((p + i)) )" 2>/dev/null)" ]; then echo $((p + i)); return; fi
	done
	echo "$p"
}

# skv_bench_begin NAME RUNNAME PORT: the start every benchmark shares. Sets PGPORT_B (PORT or
# the next free one), WORK (a
# temporary directory), ERRLOG (errors listed in the report, see note_err), SOCK, DATA ($RUNDIR/RUNNAME-data), PGLOG ($RUNDIR/RUNNAME.log), OUT
# (bench/out/NAME-<UTC stamp>.md), and a trap that at exit stops the cluster, calls
# bench_cleanup (when the script defines it: servers of its own) and removes WORK.
skv_bench_begin() {
	local name=$1 run=$2
	PGPORT_B=$(skv_free_port "$3")
	WORK=$(mktemp -d "/tmp/streamkv-$run-XXXXXX")
	chmod 755 "$WORK"
	SOCK=$WORK/pgsock
	DATA=$RUNDIR/$run-data
	PGLOG=$RUNDIR/$run.log
	OUTDIR=$REPO/bench/out
	OUT=$OUTDIR/$name-$(date -u +%Y%m%d-%H%M%S).md
	mkdir -p "$OUTDIR"
	ERRLOG=$WORK/errors
	: >"$ERRLOG"
	echo 0 >"$WORK/crashes_seen"    # a file: pg_ready runs in $(...) subshells too
	PG_STARTED=
	trap skv_bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

skv_bench_cleanup() {
	if [ -n "$PG_STARTED" ] && skv_running "$DATA"; then
		skv_pg_ctl -D "$DATA" -m fast -w stop >/dev/null 2>&1
	fi
	if declare -F bench_cleanup >/dev/null; then bench_cleanup; fi
	rm -rf "$WORK"
}

# skv_bench_cluster CONF...: builds and installs streamkv, then makes a new cluster in DATA
# (postgresql.conf gets the CONF lines), starts it on 127.0.0.1:PGPORT_B, creates database
# bench with the extension; sets PGUSER_B and PSQL (psql into bench, ON_ERROR_STOP). Dies on
# failure.
skv_bench_cluster() {
	skv_own_dirs "$RUNDIR"
	skv_inst_tree
	skv_build '-Wall -Wextra -Wno-unused-parameter' || die "build failed"
	if skv_running "$DATA"; then skv_pg_ctl -D "$DATA" -m immediate -w stop >/dev/null; fi
	rm -rf "$DATA" "$DATA.initdb.log"
	skv_own_dirs "$DATA" "$SOCK"
	chmod 700 "$DATA"
	skv_initdb "$DATA" "$PGPORT_B" "$SOCK" "$@" || die "initdb failed"
	: >"$PGLOG"
	if [ -n "$RUN_USER" ]; then chown "$RUN_USER:" "$PGLOG"; fi
	say "starting the benchmark cluster on 127.0.0.1:$PGPORT_B"
	PG_STARTED=1    # before the start: a start that times out may leave it coming up
	skv_pg_ctl -D "$DATA" -l "$PGLOG" -w -t 120 start >/dev/null ||
		{ tail -n 30 "$PGLOG" >&2; die "the benchmark cluster did not start"; }
	PGUSER_B=$( [ -n "$RUN_USER" ] && echo "$RUN_USER" || id -un )
	"$IBIN/createdb" -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" bench || die "createdb failed"
	PSQL=("$IBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -d bench)
	"${PSQL[@]}" -c 'CREATE EXTENSION streamkv' || die "CREATE EXTENSION failed"
}

# note_err MESSAGE: a benchmark error, listed under "Errors" in the report.
note_err() { printf '%s\n' "$*" >>"$ERRLOG"; say "ERROR: $*"; }

# pg_ready: wait (up to 300 s) until the benchmark server accepts connections, e.g. after a
# crash-restart, which it notes as an error.
pg_ready() {
	local i n
	n=$(grep -c 'terminated by signal' "$PGLOG" 2>/dev/null || true)
	n=${n:-0}
	if [ "$n" -gt "$(cat "$WORK/crashes_seen")" ]; then
		note_err "server crash-restart detected ($n so far): $(grep -E 'PANIC|TRAP|terminated by signal' "$PGLOG" | tail -2 | tr '\n' ' ')"
		echo "$n" >"$WORK/crashes_seen"
	fi
	for i in $(seq 3000); do
		"$IBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -d bench && return 0
		sleep 0.1
	done
	note_err "server not ready after 300 s"
	return 1
}

# Report helpers of bench/*.sh.
# ratio A B: A / B with RATIO_DECIMALS decimals (default 2), n/a unless both are positive numbers.
ratio() { awk -v a="$1" -v b="$2" -v d="${RATIO_DECIMALS:-2}" 'BEGIN{ if (a+0 > 0 && b+0 > 0) printf "%.*f", d, a/b; else printf "n/a" }'; }
# fmt N: N with thousands separators (anything else as it is).
fmt()   { awk -v a="$1" 'BEGIN{ if (a ~ /^[0-9.]+$/) printf "%\047.0f", a; else printf "%s", a }'; }
# kv "k1=v1 k2=v2 ..." K: the value of K, or ERR.
kv()    { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k{print $2; f=1} END{if(!f) print "ERR"}'; }

# skv_bench_errors: the report's "## Errors" section: the errors noted (note_err), then the
# server log's ERROR/PANIC/FATAL/crash/worker-exit lines (the first 12, then counts by message).
skv_bench_errors() {
	local pat='ERROR|PANIC|FATAL|TRAP|terminated by signal|was terminated|invalid record|exited with exit code' n
	echo "## Errors"
	echo
	n=$(grep -cE "$pat" "$PGLOG" || true)
	if [ -s "$ERRLOG" ] || [ "${n:-0}" -gt 0 ]; then
		sed 's/^/- /' "$ERRLOG"
		echo "- server log ($PGLOG): $n ERROR/PANIC/FATAL/crash/worker-exit lines; first 12, then counts by message (timestamp and PID removed):"
		echo
		echo '```'
		grep -E "$pat" "$PGLOG" | head -12
		echo '...'
		grep -E "$pat" "$PGLOG" | sed -E 's/^[^]]*\] //; s/PID [0-9]+/PID n/' | sort | uniq -c | sort -rn | head -10
		echo '```'
	else
		echo "none"
	fi
}

# q SQL: runs SQL in the benchmark database, prints the rows unaligned; an error is noted
# (note_err) and returns 1.
q() {
	local out
	pg_ready
	out=$(PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At -c "$1" 2>&1) ||
		{ note_err "psql $1: $(printf '%s' "$out" | head -3 | tr '\n' ' ')"; return 1; }
	printf '%s\n' "$out"
}
