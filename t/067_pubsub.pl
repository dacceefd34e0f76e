# Pub/sub (issue 17) outside one session's view:
#  - publish writes no WAL (pg_current_wal_insert_lsn() unchanged around
#    thousands of publishes that are delivered), while a keyspace write in
#    the same position does move it (so the check can fail);
#  - a session that ends frees its subscriptions at once, also when it is
#    terminated while blocked in receive; a cancelled receive leaves the
#    session usable;
#  - a backend crash (SIGKILL, then crash-restart) leaves no subscription
#    behind.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('pubsub', "autovacuum = off\nrestart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# ---- no WAL on the publishing path -----------------------------------------
# Background processes may write a record at any time (a running-xacts
# record, a checkpoint), so each check is tried up to 5 times: publish
# passes when one try shows the LSN unchanged; a publish that wrote WAL
# could never show that.
sub lsn_unchanged_around
{
	my ($stmt) = @_;
	for my $try (1 .. 5)
	{
		my $out = $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM streamkv.subscribe('walc');
SELECT count(*) FROM streamkv.psubscribe('wal*');
SELECT pg_current_wal_insert_lsn() AS before \\gset
$stmt;
SELECT pg_current_wal_insert_lsn() = :'before';
SELECT count(*) FROM streamkv.receive(100000);
});
		my @l = split /\n/, $out;
		return (1, $l[-3], $l[-1]) if $l[-2] eq 't';
		return (0, $l[-3], $l[-1]) if $try == 5;
		sleep 1;
	}
}
my ($same, $sent, $got) = lsn_unchanged_around(
	"SELECT sum(streamkv.publish('walc', repeat('x', 100))) FROM generate_series(1, 5000)");
ok($same, 'publish of 5,000 messages wrote no WAL (insert LSN unchanged)');
is($sent, 10000, 'publish counted 10,000 receiving subscriptions (channel + pattern)');
is($got, 10000, 'and the subscriber received 10,000 messages');
($same) = lsn_unchanged_around("SELECT streamkv.set('walkey', 'v')");
ok(!$same, 'a keyspace write in the same place does move the insert LSN (the check can fail)');

# ---- a session that ends frees its subscriptions --------------------------
my $s = $node->background_psql('postgres', on_error_stop => 0);
$s->query_safe("SELECT count(*) FROM streamkv.subscribe('bye', 'bye2')");
$s->query_safe("SELECT count(*) FROM streamkv.psubscribe('b*')");
is($node->safe_psql('postgres', "SELECT sum(subscribers) FROM streamkv.pubsub_numsub('bye', 'bye2')"),
	'2', 'a live session holds its subscriptions');
$s->quit;
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM streamkv.pubsub_subscribers")
  or die 'subscriptions left behind';
is($node->safe_psql('postgres',
		"SELECT (SELECT sum(subscribers) FROM streamkv.pubsub_numsub('bye', 'bye2')) || ' ' || streamkv.pubsub_numpat() || ' ' || streamkv.publish('bye', 'x')"),
	'0 0 0', 'after the session quit: no subscriber, no pattern, publish reaches nobody');

# a receive that is cancelled leaves the session usable; one that is
# terminated frees the subscriptions
$s = $node->background_psql('postgres', on_error_stop => 0);
$s->query_safe("SELECT count(*) FROM streamkv.subscribe('blocked')");
my $pid = $s->query_safe('SELECT pg_backend_pid()');
$s->query_until(qr/started/, "\\echo started\nSELECT count(*) FROM streamkv.receive(1, 600000);\n");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $pid")
  or die 'receive did not block';
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $after = $s->query("SELECT streamkv.publish('blocked', 'x')") . ' '
  . $s->query("SELECT count(*) FROM streamkv.receive()");
like($after, qr/^1 1$/m, 'after a cancelled receive the session still subscribes and receives');
$s->query_until(qr/started/, "\\echo started\nSELECT count(*) FROM streamkv.receive(1, 600000);\n");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $pid")
  or die 'receive did not block';
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$node->poll_query_until('postgres', "SELECT count(*) = 0 FROM streamkv.pubsub_subscribers")
  or die 'terminated session left subscriptions';
is($node->safe_psql('postgres', "SELECT streamkv.publish('blocked', 'x')"),
	'0', 'a session terminated while blocked in receive left no subscription');
eval { local $SIG{PIPE} = 'IGNORE'; $s->quit; };

# ---- a backend crash leaves nothing behind --------------------------------
$s = $node->background_psql('postgres', on_error_stop => 0);
$s->query_safe("SELECT count(*) FROM streamkv.subscribe('crash')");
$pid = $s->query_safe('SELECT pg_backend_pid()');
is($node->safe_psql('postgres', "SELECT streamkv.publish('crash', 'x')"), '1', 'subscribed before the crash');
kill 'KILL', $pid;
eval { local $SIG{PIPE} = 'IGNORE'; $s->quit; };
sk_wait_restart($node);
is($node->safe_psql('postgres',
		"SELECT streamkv.publish('crash', 'x') || ' ' || (SELECT count(*) FROM streamkv.pubsub_subscribers)"),
	'0 0', 'after a backend crash and restart: no subscriber, publish reaches nobody');

ok(!$node->log_contains('TRAP:'), 'no failed assertion in the log');
$node->stop;
done_testing();
