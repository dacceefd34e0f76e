# Differential test of pub/sub against a real redis-server (issue 17's
# acceptance): t/lib/pubsub_diff.py runs a fixed-seed random sequence of
# SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE / PUBLISH / PUBSUB over
# 6 clients on both and compares every reply, every receiver count and the
# (kind, pattern, channel, message) sequence each client received; its
# channels and patterns exercise globs with escapes, classes, negated and
# reversed ranges.
#
# STREAMKV_PSDIFF_OPS (default 4000) and STREAMKV_PSDIFF_SEED change the run.
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
my $script = "$FindBin::RealBin/lib/pubsub_diff.py";
my $ops = $ENV{STREAMKV_PSDIFF_OPS} // 4000;
my $seed = $ENV{STREAMKV_PSDIFF_SEED} // 20261205;

ok(-x $python, "$python exists");
my ($redis_server) = grep { -x } map { "$_/redis-server" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
my ($redis_cli) = grep { -x } map { "$_/redis-cli" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
ok($redis_server && $redis_cli, 'redis-server and redis-cli are installed')
  or BAIL_OUT('redis-server missing');
ok(system($python, '-c', 'import psycopg2, redis') == 0,
	'python3-psycopg2 and python3-redis are installed')
  or BAIL_OUT('python modules missing');

my $node = sk_node('psdiff');
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
note('redis: ' . `$redis_server --version`);

END
{
	kill 'TERM', $rpid if $rpid;
}

my $dsn = sprintf('host=%s port=%d dbname=postgres', $node->host, $node->port);
my ($out, $err) = ('', '');
my $t0 = time;
IPC::Run::run([ $python, $script, '--redis-port', $rport, '--dsn', $dsn, '--ops', $ops,
		'--seed', $seed, '--clients', 6 ],
	'>', \$out, '2>', \$err);
my $rc = $? >> 8;
note sprintf('pubsub_diff.py: exit %d in %.1f s', $rc, time - $t0);
diag($out) if $rc != 0;
note($out);
diag("stderr: $err") if $err ne '';
is($rc, 0, "$ops random pub/sub operations over 6 clients (seed $seed): every reply and delivery equal to redis-server's");
like($out, qr/^ops: \d+, clients: 6, mismatches: 0,/m, 'the script reports no mismatch');
ok($out =~ /delivered: (\d+) \(pmessage (\d+)\)/ && $1 > 1000 && $2 > 100 && $1 > $2,
	'thousands of messages were delivered, through channels and patterns');
ok($out =~ /of them all: (\d+)/ && $1 > 0, 'unsubscribe-all was exercised');

ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM streamkv.pubsub_subscribers'),
	'the clients\' subscriptions ended with their sessions');
ok(!$node->log_contains('TRAP:'), 'no failed assertion in the log');

kill 'TERM', $rpid;
for (1 .. 50) { last unless kill 0, $rpid; usleep(100_000); }
ok(!kill(0, $rpid), 'redis-server stopped');
$rpid = undef;

$node->stop;
done_testing();
