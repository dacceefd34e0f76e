# The maintenance worker is visible and says what it does (issue 14, item 4):
# it has a pg_stat_activity row with backend_type "streamkv maintenance
# worker" and absorbs ProcSignal barriers (DROP DATABASE); key expiry, topic retention and consumer-group session time-outs
# are logged at LOG; with streamkv.log_maintenance_interval the lines are
# rate-limited, actions in between counted and summarised in the next line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTest;
use Test::More;
use Time::HiRes qw(usleep);

my $node = sk_node('worker_logs',
	"streamkv.worker_naptime = '100ms'\nstreamkv.log_maintenance_interval = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');
my $dboid = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'postgres'");

# ---- pg_stat_activity ----
my $act;
for (1 .. 100)
{
	$act = $node->safe_psql('postgres',
		q{SELECT backend_type || '|' || application_name || '|' || (pid > 0)
		    FROM pg_stat_activity WHERE backend_type = 'streamkv maintenance worker'});
	last if $act ne '';
	usleep(100_000);
}
is($act, 'streamkv maintenance worker|streamkv maintenance worker|true',
	'the maintenance worker has a pg_stat_activity row');

# A connected worker must absorb ProcSignal barriers: DROP DATABASE waits
# for every process to do so (a worker that never did hung it).
my ($ret, $out, $err) = $node->psql('postgres',
	'CREATE DATABASE dropme; DROP DATABASE dropme', timeout => 60);
is($ret, 0, 'DROP DATABASE completes while the worker runs') or diag $err;

# wait until the log matches $re past $offset; returns the matching text
sub wait_log
{
	my ($re, $offset, $what) = @_;
	for (1 .. 300)
	{
		my $log = slurp_file($node->logfile, $offset);
		return $1 if $log =~ $re;
		usleep(100_000);
	}
	fail("log line: $what");
	return undef;
}

# ---- expiry ----
my $off = -s $node->logfile;
$node->safe_psql('postgres',
	q{SELECT streamkv.set('tmp:' || i, 'x', px => 200) FROM generate_series(1, 300) i;
	  SELECT streamkv.set('keep', 'y')});
my $n = wait_log(qr/LOG:  streamkv: expired (\d+) keys in database $dboid\b/, $off, 'expiry');
ok(defined $n && $n > 0, "expiry is logged ($n keys in the first line)");
# all of them, counted over the lines
for (1 .. 100)
{
	last if $node->safe_psql('postgres', 'SELECT streamkv.dbsize()') eq '1';
	usleep(100_000);
}
my $total = 0;
$total += $_ for (slurp_file($node->logfile, $off) =~ /streamkv: expired (\d+) keys in database $dboid\b/g);
is($total, 300, 'the expiry lines add up to the keys that expired');

# ---- rate limit: nothing until the interval passes, then one summary ----
$node->append_conf('postgresql.conf', "streamkv.log_maintenance_interval = '1h'\n");
$node->reload;
usleep(500_000);
$off = -s $node->logfile;
$node->safe_psql('postgres',
	q{SELECT streamkv.set('tmp2:' || i, 'x', px => 100) FROM generate_series(1, 50) i});
for (1 .. 100)
{
	last if $node->safe_psql('postgres', 'SELECT streamkv.dbsize()') eq '1';
	usleep(100_000);
}
usleep(500_000);
unlike(slurp_file($node->logfile, $off), qr/streamkv: expired/,
	'within the interval, expiry is counted, not logged');
$node->append_conf('postgresql.conf', "streamkv.log_maintenance_interval = 0\n");
$node->reload;
$n = wait_log(qr/LOG:  streamkv: expired (\d+) keys in database $dboid \(in \d+ s\)/, $off, 'summary');
is($n, 50, 'the next line sums up what was held back');

# ---- retention ----
$off = -s $node->logfile;
$node->safe_psql('postgres',
	q{SELECT streamkv.create_topic('rt', 1, retention_ms => 300);
	  SELECT streamkv.produce_agg('rt', convert_to(repeat('r', 500), 'UTF8'), NULL) FROM generate_series(1, 2000)});
my $pages = wait_log(qr/LOG:  streamkv: retention freed (\d+) pages of topic "rt" partition 0 in database $dboid/,
	$off, 'retention');
ok(defined $pages && $pages > 0, "retention is logged ($pages pages)");

# ---- consumer-group session time-out ----
$off = -s $node->logfile;
$node->safe_psql('postgres',
	q{SELECT member_id FROM streamkv.join('g1', ARRAY['rt'], member => 'm1', session_timeout_ms => 200)});
my $m = wait_log(qr/LOG:  streamkv: session of (\d+) members of consumer group "g1" in database $dboid timed out/,
	$off, 'session time-out');
is($m, 1, 'a session time-out is logged');

# ---- -1 logs nothing ----
$node->append_conf('postgresql.conf', "streamkv.log_maintenance_interval = -1\n");
$node->reload;
usleep(500_000);
$off = -s $node->logfile;
$node->safe_psql('postgres',
	q{SELECT streamkv.set('tmp3:' || i, 'x', px => 100) FROM generate_series(1, 20) i});
for (1 .. 100)
{
	last if $node->safe_psql('postgres', 'SELECT streamkv.dbsize()') eq '1';
	usleep(100_000);
}
usleep(300_000);
unlike(slurp_file($node->logfile, $off), qr/streamkv: expired/, 'log_maintenance_interval = -1 logs no action');

$node->stop;
done_testing();
