#!/usr/bin/env bash
# streamkv test suite: deps, -Werror build, private install, then
#   unit       t/unit/NAME_test.c                        (plain C, no server; one test per file)
#   regress    sql/NAME.sql vs expected/NAME.out        (pg_regress, one fresh database per file)
#   isolation  specs/NAME.spec vs expected/NAME.out      (pg_isolation_regress, one fresh database per spec)
#   tap        t/*.pl                                    (prove, PostgreSQL::Test::Cluster; one test per file)
# regress and isolation share one temporary cluster started here with the
# library preloaded and wal_consistency_checking = 'streamkv'.
# A unit test is compiled with the sources its first lines name in a comment
# "/* unit-sources: src/a.c src/b.c */" (paths from the checkout's top) and
# must exit 0 only when all its cases passed.
# The last line printed is "N passed, M failed"; the exit status is 0 only
# when M is 0.
#
# Environment:
#   STREAMKV_TESTS=unit|regress|isolation|tap|all   (comma-separated list allowed; default all)
#   STREAMKV_VALGRIND=1   run the unit tests under valgrind (memcheck, leaks are errors), and
#                         the regress and isolation server under valgrind (jit off;
#                         valgrind computes long doubles in 64 bits, so incrbyfloat
#                         results in strings/hashes differ in their last digits there)
#   STREAMKV_TEST_PORT    port of the temporary cluster (default 54340; it
#                         listens on a private Unix socket only)
#   STREAMKV_TAP_TIMEOUT  seconds per TAP file (default 600)
#   STREAMKV_ONLY=REGEX   run only the tests whose name matches REGEX (bash =~)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SUITES=${STREAMKV_TESTS:-all}
VALGRIND=${STREAMKV_VALGRIND:-0}
[ "$SUITES" = all ] && SUITES=unit,regress,isolation,tap
want() { [[ ",$SUITES," == *",$1,"* ]]; }
for s in ${SUITES//,/ }; do
	case $s in unit|regress|isolation|tap) ;; *) echo "STREAMKV_TESTS: unknown suite '$s' (unit, regress, isolation, tap, all)" >&2; exit 2 ;; esac
done

extra=()
[ "$VALGRIND" = 1 ] && extra+=(valgrind)
skv_deps "${extra[@]}"
skv_enter test.sh "" "$@"

RESULTS=$REPO/results
PASSED=0
FAILED=0
FAILED_NAMES=()
pass() { PASSED=$((PASSED + 1)); printf 'ok     %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); FAILED_NAMES+=("$1"); printf 'FAILED %s\n' "$1"; }
finish() {
	skv_stop_test_cluster
	if [ "$REPO" != "${STREAMKV_COPY_OF:-$REPO}" ]; then
		if [ "$FAILED" -eq 0 ] && [[ "$REPO" == /tmp/streamkv-ci-* ]]; then
			cd / && rm -rf "$REPO"
			echo "(ran in a temporary copy of ${STREAMKV_COPY_OF}, now removed)"
		else
			echo "(ran in a copy of ${STREAMKV_COPY_OF}: results are in $RESULTS and $REPO/tmp_check)"
		fi
	fi
	[ "$FAILED" -gt 0 ] && echo "failed: ${FAILED_NAMES[*]}"
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -eq 0 ]; then exit 0; fi
	exit 1
}

# ---- the temporary cluster for regress + isolation --------------------------
TDATA=$RUNDIR/test-data
TPORT=${STREAMKV_TEST_PORT:-54340}
TSOCK=
TLOG=$RESULTS/server.log
CLUSTER_UP=0

CRASH_RE='terminated by signal|terminated by exception|exited with exit code ([2-9]|[1-9][0-9]+)|TRAP:|PANIC:'

skv_stop_test_cluster() {
	if [ "$CLUSTER_UP" = 1 ]; then
		as_user "$IBIN/pg_ctl" -D "$TDATA" -m fast -w -t 300 stop >/dev/null 2>&1 ||
			as_user "$IBIN/pg_ctl" -D "$TDATA" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
		CLUSTER_UP=0
	fi
	if [ -n "$TSOCK" ]; then rm -rf "$TSOCK"; TSOCK=; fi
}
trap 'skv_stop_test_cluster' EXIT
trap 'exit 130' INT TERM

# ---- build --------------------------------------------------------------------
skv_own_dirs "$RUNDIR"
skv_inst_tree
if ! skv_build '-Wall -Wextra -Wno-unused-parameter -Werror -DUSE_ASSERT_CHECKING'; then
	fail build
	finish
fi
rm -rf "$RESULTS" "$REPO/tmp_check"
skv_own_dirs "$RESULTS" "$REPO/tmp_check"

# Tests, sorted by name.
shopt -s nullglob
UNIT_TESTS=() REGRESS_TESTS=() ISOLATION_TESTS=() TAP_TESTS=()
want unit      && for f in "$REPO"/t/unit/*_test.c; do UNIT_TESTS+=("$(basename "$f" .c)"); done
want regress   && for f in "$REPO"/sql/*.sql;    do REGRESS_TESTS+=("$(basename "$f" .sql)"); done
want isolation && for f in "$REPO"/specs/*.spec; do ISOLATION_TESTS+=("$(basename "$f" .spec)"); done
want tap       && for f in "$REPO"/t/*.pl;       do TAP_TESTS+=("$f"); done
shopt -u nullglob
if [ -n "${STREAMKV_ONLY:-}" ]; then
	keep() { local n; for n in "$@"; do [[ $(basename "$n" .pl) =~ $STREAMKV_ONLY ]] && echo "$n"; done; }
	mapfile -t UNIT_TESTS < <(keep "${UNIT_TESTS[@]}")
	mapfile -t REGRESS_TESTS < <(keep "${REGRESS_TESTS[@]}")
	mapfile -t ISOLATION_TESTS < <(keep "${ISOLATION_TESTS[@]}")
	mapfile -t TAP_TESTS < <(keep "${TAP_TESTS[@]}")
fi

# ---- unit: t/unit/*_test.c, plain C programs ---------------------------------
# run_unit NAME: compile t/unit/NAME.c with the sources its unit-sources comment
# lists, run it (under valgrind when asked); one test.
run_unit() {
	local name=$1 src=$REPO/t/unit/$1.c out=$RESULTS/unit srcs=() s bin runner=()
	bin=$out/$name
	read -r -a srcs < <(sed -n 's|^/\* *unit-sources: *\(.*[^ ]\) *\*/ *$|\1|p' "$src" | head -n 1) || true
	for s in "${!srcs[@]}"; do srcs[s]=$REPO/${srcs[s]}; done
	if ! cc -O2 -g -Wall -Wextra -Werror -I "$REPO/src" -o "$bin" "$src" "${srcs[@]}" -lm >"$out/$name.log" 2>&1; then
		fail "unit/$name"
		echo "compilation failed:"
		tail -n 30 "$out/$name.log"
		return
	fi
	[ "$VALGRIND" = 1 ] && runner=(valgrind --error-exitcode=1 --leak-check=full -q)
	local rc=0
	(cd "$REPO" && timeout 600 "${runner[@]}" "$bin") >>"$out/$name.log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "unit/$name"
	else
		fail "unit/$name"
		# its failures (and valgrind's reports), its last line, its exit status
		grep -E '^(FAIL|==[0-9]+==)' "$out/$name.log" | head -n 40 || true
		tail -n 1 "$out/$name.log"
		echo "(exit status $rc; the whole output is in $out/$name.log)"
	fi
}

if [ ${#UNIT_TESTS[@]} -gt 0 ]; then
	skv_own_dirs "$RESULTS/unit"
	for n in "${UNIT_TESTS[@]}"; do run_unit "$n"; done
elif want unit; then
	say "no t/unit/*_test.c tests"
fi

start_test_cluster() {
	rm -rf "$TDATA" "$TDATA.initdb.log"
	skv_own_dirs "$TDATA"
	chmod 700 "$TDATA"
	TSOCK=$(mktemp -d /tmp/streamkv-test-XXXXXX)
	[ -n "$RUN_USER" ] && chown "$RUN_USER:" "$TSOCK"
	skv_initdb "$TDATA" "$TPORT" "$TSOCK" \
		"listen_addresses = ''" \
		"wal_consistency_checking = 'streamkv'" \
		"max_prepared_transactions = 10" \
		"fsync = off" \
		"log_statement = none" || return 1
	local pgctl_extra=() timeout=120
	if [ "$VALGRIND" = 1 ]; then
		local supp wrapper=$RUNDIR/valgrind-postgres
		# PostgreSQL's own suppressions when a source tree provides them, else ours.
		supp=$REPO/scripts/valgrind.supp
		for f in /usr/share/postgresql/$PGMAJOR/valgrind.supp /usr/src/postgresql-$PGMAJOR/src/tools/valgrind.supp; do
			if [ -r "$f" ]; then supp=$f; break; fi
		done
		mkdir -p "$RESULTS/valgrind"
		[ -n "$RUN_USER" ] && chown "$RUN_USER:" "$RESULTS/valgrind"
		cat >"$wrapper" <<-WRAP
		#!/bin/sh
		exec valgrind --trace-children=yes --leak-check=no --error-exitcode=128 \\
		  --suppressions=$supp --num-callers=30 --read-var-info=no --track-origins=yes \\
		  --log-file=$RESULTS/valgrind/%p.log "$IBIN/postgres" "\$@"
		WRAP
		chmod 755 "$wrapper"
		echo "huge_pages = off" >>"$TDATA/postgresql.conf"
		# no JIT: loading llvmjit trips valgrind in the dynamic loader (not ours)
		echo "jit = off" >>"$TDATA/postgresql.conf"
		pgctl_extra=(-p "$wrapper")
		timeout=600
		say "starting the test cluster under valgrind (slow)"
	fi
	if ! as_user "$IBIN/pg_ctl" -D "$TDATA" -l "$TLOG" "${pgctl_extra[@]}" -w -t "$timeout" start >/dev/null; then
		tail -n 40 "$TLOG" >&2 || true
		return 1
	fi
	CLUSTER_UP=1
}

# wait_ready: after a crash-restart caused by an earlier test, wait for the
# server to accept connections again so that later tests are unaffected.
wait_ready() {
	local i
	for i in $(seq 1 600); do
		as_user "$IBIN/pg_isready" -q -h "$TSOCK" -p "$TPORT" -d postgres && return 0
		sleep 0.5
	done
	return 1
}

# run_pg_regress KIND NAME: one test file against a fresh database.
run_pg_regress() {
	local kind=$1 name=$2 prog outdir db
	wait_ready || true
	if [ "$kind" = regress ]; then
		prog=$PG_REGRESS outdir=$RESULTS/regress db=contrib_regression
	else
		prog=$PG_ISOLATION_REGRESS outdir=$RESULTS/isolation db=isolation_regression
	fi
	local t=300; [ "$VALGRIND" = 1 ] && t=3000
	if as_user timeout "$t" "$prog" --inputdir="$REPO" --outputdir="$outdir" --bindir="$IBIN" \
		--host="$TSOCK" --port="$TPORT" --dbname="$db" "$name" >"$outdir/$name.log" 2>&1; then
		pass "$kind/$name"
	else
		fail "$kind/$name"
		if ! compgen -G "$REPO/expected/$name.out" >/dev/null && ! compgen -G "$REPO/expected/${name}_[0-9].out" >/dev/null; then
			echo "no expected/$name.out: if this output is right, copy $outdir/results/$name.out there"
			head -n 60 "$outdir/results/$name.out" 2>/dev/null || tail -n 30 "$outdir/$name.log"
		elif [ -s "$outdir/regression.diffs" ]; then
			head -c 20000 "$outdir/regression.diffs"
			cat "$outdir/regression.diffs" >>"$outdir/all.diffs"
		else
			tail -n 30 "$outdir/$name.log"
		fi
	fi
	rm -f "$outdir/regression.diffs"
}

if [ ${#REGRESS_TESTS[@]} -gt 0 ] || [ ${#ISOLATION_TESTS[@]} -gt 0 ]; then
	skv_own_dirs "$RESULTS/regress" "$RESULTS/isolation"
	if ! start_test_cluster; then
		fail "test-cluster-start"
		finish
	fi
	for n in "${REGRESS_TESTS[@]}";   do run_pg_regress regress "$n"; done
	for n in "${ISOLATION_TESTS[@]}"; do run_pg_regress isolation "$n"; done
	skv_stop_test_cluster
	# A crash or failed assertion that the outputs did not show still fails the run.
	if grep -E "$CRASH_RE" "$TLOG" >/dev/null; then
		fail "server-log"
		grep -E -B2 -A5 "$CRASH_RE" "$TLOG" | head -n 60
	fi
	if [ "$VALGRIND" = 1 ]; then
		bad=$(grep -lE 'ERROR SUMMARY: [1-9]' "$RESULTS"/valgrind/*.log 2>/dev/null || true)
		if [ -n "$bad" ]; then
			fail "valgrind"
			for f in $bad; do echo "--- $f"; head -n 80 "$f"; done
		else
			say "valgrind: no errors in $(ls "$RESULTS"/valgrind | wc -l) process logs"
		fi
	fi
else
	want regress && say "no sql/*.sql tests"
	want isolation && say "no specs/*.spec tests"
fi

# ---- TAP ------------------------------------------------------------------------
if [ ${#TAP_TESTS[@]} -gt 0 ]; then
	skv_own_dirs "$RESULTS/tap"
	PERL5LIB_TAP=$TAP_PERL:$REPO/t/lib${PERL5LIB:+:$PERL5LIB}
	for f in "${TAP_TESTS[@]}"; do
		name=$(basename "$f" .pl)
		if as_user env PATH="$IBIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
			PERL5LIB="$PERL5LIB_TAP" PG_REGRESS="$PG_REGRESS" TESTDIR="$REPO" \
			STREAMKV_INST="$INST" STREAMKV_REPO="$REPO" STREAMKV_BIN="$IBIN" \
			timeout "${STREAMKV_TAP_TIMEOUT:-600}" prove -v "t/$name.pl" >"$RESULTS/tap/$name.log" 2>&1; then
			pass "tap/$name"
		else
			fail "tap/$name"
			tail -n 40 "$RESULTS/tap/$name.log"
			if [ -e "$REPO/tmp_check/log/regress_log_$name" ]; then
				echo "--- tail of tmp_check/log/regress_log_$name"
				tail -n 60 "$REPO/tmp_check/log/regress_log_$name"
			fi
		fi
	done
elif want tap; then
	say "no t/*.pl tests"
fi

finish
