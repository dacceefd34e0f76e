#!/usr/bin/env bash
# streamkv demo cluster.
#   scripts/run.sh        install deps, build, install into .pgrun/inst, (re)start
#                         the demo cluster on 127.0.0.1:54329, run scripts/demo.sql
#                         (first run: creates database "streamkv" and runs the demo;
#                         later runs keep its data and show what it holds)
#   scripts/run.sh reset  the same, but drop and recreate database "streamkv" first
#                         (the demo data goes; a changed install script applies)
#   scripts/run.sh stop   stop the demo cluster
# Environment: STREAMKV_PORT (default 54329).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

action=${1:-start}
PORT=${STREAMKV_PORT:-54329}

case $action in
start|reset|stop) ;;
*) echo "usage: $0 [reset|stop]" >&2; exit 2 ;;
esac

if [ "$action" != stop ]; then skv_deps; fi
skv_enter run.sh "/tmp/streamkv-demo-$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)" "$@"

DATA=$RUNDIR/data
SOCK=$(skv_sockdir "$RUNDIR")

if [ "$action" = stop ]; then
	if skv_running "$DATA"; then
		skv_pg_ctl -D "$DATA" -m fast -w stop
	else
		say "demo cluster is not running"
	fi
	exit 0
fi

skv_own_dirs "$RUNDIR"
skv_inst_tree
skv_build '-Wall -Wextra -Wno-unused-parameter'

if [ ! -e "$DATA/PG_VERSION" ]; then
	say "creating the demo cluster in $DATA"
	rm -rf "$DATA"
	skv_own_dirs "$DATA"
	chmod 700 "$DATA"
	skv_initdb "$DATA" "$PORT" "$SOCK" \
		"wal_level = replica" "max_wal_senders = 4" || { rm -rf "$DATA"; die "initdb failed"; }
fi

# Restart so that a rebuilt library is loaded.
if skv_running "$DATA"; then
	say "restarting the demo cluster"
	skv_pg_ctl -D "$DATA" -m fast -w stop >/dev/null
fi
skv_pg_ctl -D "$DATA" -l "$RUNDIR/demo.log" -o "-p $PORT" -w -t 120 start >/dev/null ||
	{ tail -n 30 "$RUNDIR/demo.log" >&2; die "the demo cluster did not start (log: $RUNDIR/demo.log)"; }

PSQL=("$IBIN/psql" -X -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT")
STAMP=$RUNDIR/demo-install-script.sha
script_sha=$(sha256sum "$REPO/streamkv--1.0.sql" | cut -d' ' -f1)
have_db=$(as_user "${PSQL[@]}" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'streamkv'")
if [ "$action" = reset ] && [ "$have_db" = 1 ]; then
	say "reset: dropping database streamkv"
	as_user "${PSQL[@]}" -d postgres -qc 'DROP DATABASE streamkv WITH (FORCE)'
	have_db=
fi
if [ "$have_db" != 1 ]; then
	as_user "$IBIN/createdb" -h "$SOCK" -p "$PORT" streamkv
	as_user "${PSQL[@]}" -d streamkv -qc 'CREATE EXTENSION streamkv'
	printf '%s\n' "$script_sha" > "$STAMP"
	say "running scripts/demo.sql"
	as_user "${PSQL[@]}" -d streamkv -e -f "$REPO/scripts/demo.sql"
else
	# Keep what the database holds: the extension's data lives in its pages.
	as_user "${PSQL[@]}" -d streamkv -qc 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS streamkv'
	if [ "$(cat "$STAMP" 2>/dev/null)" != "$script_sha" ]; then
		say "note: the install script changed since database streamkv was created;"
		say "      'scripts/run.sh reset' recreates it with the new one (its data goes)"
	fi
	say "database streamkv kept from the last run ('scripts/run.sh reset' starts afresh):"
	as_user "${PSQL[@]}" -d streamkv -c 'SELECT streamkv.dbsize() AS keys, strings, hashes, zsets, memory_used FROM streamkv.info()' \
		-c 'SELECT name, partitions FROM streamkv.topics() ORDER BY name' \
		-c 'SELECT "group", type, state FROM streamkv.groups() ORDER BY 1'
fi

cat <<MSG

The streamkv demo cluster is running (data: $DATA, log: $RUNDIR/demo.log).
Connect with:
  ${RUN_USER:+runuser -u $RUN_USER -- }$IBIN/psql -h $SOCK -p $PORT -d streamkv
or over TCP:
  psql -h 127.0.0.1 -p $PORT -U $( [ -n "$RUN_USER" ] && echo "$RUN_USER" || id -un ) -d streamkv
Stop it with: scripts/run.sh stop; start again keeping the data: scripts/run.sh; afresh: scripts/run.sh reset
MSG
