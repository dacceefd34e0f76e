# Differential test of the keyspace against a real redis-server (issue #2's
# acceptance): t/lib/keyspace_diff.py applies a fixed-seed random sequence of
# >= 10,000 string, counter, hash and TTL operations to both and compares
# every reply. Afterwards the node is crashed (stop immediate) and the
# recovered keyspace is compared with Redis once more.
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
my $script = "$FindBin::RealBin/lib/keyspace_diff.py";
my $ops = $ENV{STREAMKV_DIFF_OPS} // 10000;
my $seed = $ENV{STREAMKV_DIFF_SEED} // 20240601;

ok(-x $python, "$python exists");
my ($redis_server) = grep { -x } map { "$_/redis-server" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
my ($redis_cli) = grep { -x } map { "$_/redis-cli" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
ok($redis_server && $redis_cli, 'redis-server and redis-cli are installed')
  or BAIL_OUT('redis-server missing');
ok(system($python, '-c', 'import psycopg2, redis') == 0,
	'python3-psycopg2 and python3-redis are installed')
  or BAIL_OUT('python modules missing');

my $node = sk_node('diff');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

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

END
{
	kill 'TERM', $rpid if $rpid;
}

my $dsn = sprintf('host=%s port=%d dbname=postgres', $node->host, $node->port);

sub run_script
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	my $t0 = time;
	IPC::Run::run([ $python, $script, '--redis-port', $rport, '--dsn', $dsn, @args ],
		'>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note sprintf('keyspace_diff.py %s: exit %d in %.1f s', join(' ', @args), $rc, time - $t0);
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = run_script('--ops', $ops, '--seed', $seed);
diag($out) if $rc != 0;
note($out);
diag("stderr: $err") if $err ne '';
is($rc, 0, "$ops random operations: every reply equal to redis-server's");
like($out, qr/^ops: (\d+), comparisons: \d+, mismatches: 0,/m, 'the script reports no mismatch');
ok($out =~ /^ops: (\d+)/m && $1 >= 10000, 'at least 10,000 operations were compared');
ok($out =~ /WRONGTYPE/, 'WRONGTYPE errors were exercised and compared');

# ---- crash, recover, compare the recovered keyspace with Redis again
$node->stop('immediate');
$node->start;
($rc, $out, $err) = run_script('--compare-only');
diag($out) if $rc != 0;
is($rc, 0, 'after crash recovery (wal_consistency_checking on) the keyspace still equals redis-server\'s');

ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');

kill 'TERM', $rpid;
for (1 .. 50) { last unless kill 0, $rpid; usleep(100_000); }
ok(!kill(0, $rpid), 'redis-server stopped');
$rpid = undef;

$node->stop;
done_testing();
