# Differential test of geo sets against a real redis-server (issue 12's
# acceptance): t/lib/geo_set_diff.py loads a fixed-seed set of >= 10,000
# points (many near +-85.05 degrees, +-180, 0 and in dense clusters) into
# both with GEOADD, then compares GEOPOS, GEOHASH and GEODIST of every member
# and >= 2,000 random GEOSEARCH queries (radius and box, 1 m to 5,000 km, from
# a member and from a position, every unit, sort and COUNT/ANY) WITHDIST
# WITHHASH WITHCOORD, some as GEOSEARCHSTORE: every reply must be equal
# (distances at Redis's 4 decimals, positions at its printed precision, member
# lists in the same order).  The set is compared again after a crash.
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
my $script = "$FindBin::RealBin/lib/geo_set_diff.py";
my $points = $ENV{STREAMKV_GEO_POINTS} // 12000;
my $queries = $ENV{STREAMKV_GEO_QUERIES} // 2500;
my $seed = $ENV{STREAMKV_GEO_SEED} // 20261205;

ok(-x $python, "$python exists");
my ($redis_server) = grep { -x } map { "$_/redis-server" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
my ($redis_cli) = grep { -x } map { "$_/redis-cli" } split(/:/, $ENV{PATH}), '/usr/bin', '/usr/local/bin';
ok($redis_server && $redis_cli, 'redis-server and redis-cli are installed')
  or BAIL_OUT('redis-server missing');
ok(system($python, '-c', 'import psycopg2, redis') == 0,
	'python3-psycopg2 and python3-redis are installed')
  or BAIL_OUT('python modules missing');
like(`$redis_server --version`, qr/v=7\.0\./, 'redis-server is 7.0, the version whose answers geo sets reproduce');

my $node = sk_node('geo_set_diff');
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
	note sprintf('geo_set_diff.py %s: exit %d in %.1f s', join(' ', @args), $rc, time - $t0);
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = run_script('--points', $points, '--queries', $queries, '--seed', $seed);
diag($out) if $rc != 0;
note($out);
diag("stderr: $err") if $err ne '';
is($rc, 0, "$points points, $queries searches: every reply equal to redis-server's");
like($out, qr/^points: \d+, searches: \d+, .* mismatches: 0$/m, 'the script reports no mismatch');
ok($out =~ /^points: (\d+), searches: (\d+)/m && $1 >= 10000 && $2 >= 2000,
	'at least 10,000 points and 2,000 searches were compared');
ok($out =~ /box=(\d+)/ && $1 > 0 && $out =~ /radius=(\d+)/ && $1 > 0, 'radius and box searches');
ok($out =~ /count_any=(\d+)/ && $1 > 0 && $out =~ /count_cut=(\d+)/ && $1 > 0,
	'COUNT with and without ANY, results cut by COUNT');

# ---- crash, recover: the set and its searches are the same
$node->stop('immediate');
$node->start;
($rc, $out, $err) = run_script('--points', $points, '--queries', 200, '--seed', $seed, '--compare-only');
diag($out) if $rc != 0;
is($rc, 0, 'after crash recovery the geo set and 200 searches still equal redis-server\'s');
ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');

$node->stop;
done_testing();
