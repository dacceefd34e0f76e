# Differential test of keyspace notifications against a real redis-server
# (issue 17, item 6): t/lib/keyspace_events_diff.py runs a fixed-seed random
# sequence of SET (plain, NX, XX, PX), DEL, EXPIRE (future and past), HSET,
# ZADD (NX, XX, same and new scores) and ZINCRBY on both, with the same
# notify-keyspace-events flags, and compares every message a
# '__key*__:*' subscriber gets after each operation (channel -- Redis's db 0
# being the database's OID in streamkv -- and payload, in order); then 40
# keys expire, half met by reads and half by each side's background expiry,
# and the 'expired' events are compared as multisets.  Run with 'KEA', then
# with 'Ex$' (keyevent channels only; expired and string events only).
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
my $script = "$FindBin::RealBin/lib/keyspace_events_diff.py";
my $ops = $ENV{STREAMKV_KEDIFF_OPS} // 2000;
my $seed = $ENV{STREAMKV_KEDIFF_SEED} // 20261205;

ok(-x $python, "$python exists");
my ($redis_server) = grep { -x } map { "$_/redis-server" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
my ($redis_cli) = grep { -x } map { "$_/redis-cli" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
ok($redis_server && $redis_cli, 'redis-server and redis-cli are installed')
  or BAIL_OUT('redis-server missing');
ok(system($python, '-c', 'import psycopg2, redis') == 0,
	'python3-psycopg2 and python3-redis are installed')
  or BAIL_OUT('python modules missing');

my $node = sk_node('kediff', "streamkv.notify_keyspace_events = 'KEA'\nstreamkv.worker_naptime = '100ms'\n");
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
my $oid = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'postgres'");

sub run_diff
{
	my ($flags) = @_;
	my ($out, $err) = ('', '');
	my $t0 = time;
	IPC::Run::run([ $python, $script, '--redis-port', $rport, '--dsn', $dsn, '--dboid', $oid,
			'--ops', $ops, '--seed', $seed, '--flags', $flags ],
		'>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note sprintf('keyspace_events_diff.py --flags %s: exit %d in %.1f s', $flags, $rc, time - $t0);
	diag($out) if $rc != 0;
	note($out);
	diag("stderr: $err") if $err ne '';
	return ($rc, $out);
}

my ($rc, $out) = run_diff('KEA');
is($rc, 0, "KEA: $ops random commands (seed $seed), every keyspace and keyevent message equal to redis-server's");
like($out, qr/^ops: \d+, mismatches: 0,/m, 'the script reports no mismatch');
for my $ev (qw(set del expire hset zadd zincr expired))
{
	ok($out =~ /\b$ev (\d+)/ && $1 > 0, "'$ev' events were compared");
}

$node->safe_psql('postgres', "ALTER SYSTEM SET streamkv.notify_keyspace_events = 'Ex\$'");
$node->reload;
$node->poll_query_until('postgres', "SELECT current_setting('streamkv.notify_keyspace_events') = 'Ex\$'")
  or die 'reload did not take';
($rc, $out) = run_diff('Ex$');
is($rc, 0, "Ex\$: the same sequence, every message equal to redis-server's");
ok($out =~ /\bset (\d+)/ && $1 > 0 && $out =~ /\bexpired (\d+)/ && $1 > 0 && $out !~ /\b(hset|zadd|del) \d+/,
	'only set and expired events were sent');

my ($ret, $o, $e) = $node->psql('postgres', "ALTER SYSTEM SET streamkv.notify_keyspace_events = 'KEq'");
like($e, qr/invalid value for parameter "streamkv.notify_keyspace_events"/, 'an unknown flag letter is refused');

ok(!$node->log_contains('TRAP:'), 'no failed assertion in the log');

kill 'TERM', $rpid;
for (1 .. 50) { last unless kill 0, $rpid; usleep(100_000); }
ok(!kill(0, $rpid), 'redis-server stopped');
$rpid = undef;

$node->stop;
done_testing();
