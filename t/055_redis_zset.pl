# Differential test of sorted sets against a real redis-server (issue #11's
# acceptance): t/lib/zset_diff.py applies a fixed-seed random sequence of
# >= 50,000 sorted-set operations over 20 score sets, 5 lexicographic sets and
# 3 keys of other types (every ZSET command and option of the SQL API, plus
# type/exists/del/expire/ttl/persist/keys/scan/dbsize/flushdb on zset keys) to
# both and compares every reply. Then the node is crashed (stop immediate)
# and every recovered key is compared with Redis once more.
#
# STREAMKV_ZDIFF_OPS (default 50000) and STREAMKV_ZDIFF_SEED change the run;
# the script stops at the first mismatch and prints the op number, the
# command, both replies, the previous operations and both sides' copies of the
# keys involved.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use File::Spec;
use Time::HiRes qw(time usleep);

my $python = '/usr/bin/python3';    # Debian's, with python3-psycopg2 and python3-redis
my $script = "$FindBin::RealBin/lib/zset_diff.py";
my $ops = $ENV{STREAMKV_ZDIFF_OPS} // 50000;
my $seed = $ENV{STREAMKV_ZDIFF_SEED} // 20261205;

ok(-x $python, "$python exists");
my ($redis_server) = grep { -x } map { "$_/redis-server" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
my ($redis_cli) = grep { -x } map { "$_/redis-cli" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
ok($redis_server && $redis_cli, 'redis-server and redis-cli are installed')
  or BAIL_OUT('redis-server missing');
ok(system($python, '-c', 'import psycopg2, redis') == 0,
	'python3-psycopg2 and python3-redis are installed')
  or BAIL_OUT('python modules missing');

my $node = sk_node('zdiff');
$node->start;
# members include non-ASCII text: a UTF8 database (the cluster's default is SQL_ASCII under LC_ALL=C)
$node->safe_psql('postgres',
	"CREATE DATABASE zdiff ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$node->safe_psql('zdiff', 'CREATE EXTENSION streamkv');

# ---- redis-server on a free loopback port, in a temporary directory
my $rport = free_port(6380, 6389);
my $rdir = File::Spec->rel2abs(PostgreSQL::Test::Utils::tempdir('redis'));
system($redis_server, '--port', $rport, '--bind', '127.0.0.1', '--save', '',
	'--appendonly', 'no', '--daemonize', 'yes', '--dir', $rdir,
	'--pidfile', "$rdir/redis.pid", '--logfile', "$rdir/redis.log") == 0
  or BAIL_OUT('could not start redis-server');
my $rpid;
for (1 .. 100)
{
	if (-s "$rdir/redis.pid" && `$redis_cli -h 127.0.0.1 -p $rport ping 2>/dev/null` =~ /PONG/)
	{
		open my $fh, '<', "$rdir/redis.pid" or die;
		$rpid = <$fh>;
		chomp $rpid;
		last;
	}
	usleep(100_000);
}
ok($rpid, "redis-server running on port $rport (pid " . ($rpid // '?') . ')')
  or BAIL_OUT('redis-server did not come up');
my $rversion = `$redis_server --version`;
note("redis: $rversion");

END
{
	kill 'TERM', $rpid if $rpid;
}

my $dsn = sprintf('host=%s port=%d dbname=zdiff', $node->host, $node->port);

sub run_script
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	my $t0 = time;
	IPC::Run::run([ $python, $script, '--redis-port', $rport, '--dsn', $dsn, @args ],
		'>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note sprintf('zset_diff.py %s: exit %d in %.1f s', join(' ', @args), $rc, time - $t0);
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = run_script('--ops', $ops, '--seed', $seed);
diag($out) if $rc != 0;
note($out);
diag("stderr: $err") if $err ne '';
is($rc, 0, "$ops random sorted-set operations (seed $seed): every reply equal to redis-server's");
like($out, qr/^ops: (\d+), comparisons: \d+, mismatches: 0,/m, 'the script reports no mismatch');
ok($out =~ /^ops: (\d+)/m && $1 >= ($ENV{STREAMKV_ZDIFF_OPS} ? 1 : 50000),
	'at least 50,000 operations were compared');
ok($out =~ /WRONGTYPE/, 'WRONGTYPE errors were exercised and compared');
ok($out =~ /resulting score is not a number/, 'a NaN result was exercised and compared')
  if $ops >= 50000;

# ---- crash, recover, compare every key with Redis again
$node->stop('immediate');
$node->start;
($rc, $out, $err) = run_script('--compare-only');
diag($out) if $rc != 0;
note($out);
is($rc, 0, 'after crash recovery (wal_consistency_checking on) every key still equals redis-server\'s');
like($out, qr/^keys: \d+, zsets: [1-9]\d*, members: [1-9]\d*, mismatches: 0/m,
	'the recovered keyspace holds sorted sets');

ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');
ok(!$node->log_contains('TRAP:'), 'no failed assertion in the log');

kill 'TERM', $rpid;
for (1 .. 50) { last unless kill 0, $rpid; usleep(100_000); }
ok(!kill(0, $rpid), 'redis-server stopped');
$rpid = undef;

$node->stop;
done_testing();
