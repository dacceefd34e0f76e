# Pub/sub and standbys (issue 17, item 5): with streamkv.pubsub_replicate on,
# publish logs each message (XLOG_SK_PUBLISH, not flushed at commit) and the
# standby's redo delivers it to the standby's subscribers; with it off (the
# default) nothing is logged and the standby's subscribers get nothing from
# the primary.  Publishing on a standby reaches that standby's subscribers.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = sk_node('psprimary', '', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');
$primary->backup('psbackup');
my $standby = sk_new_node('psstandby');
$standby->init_from_backup($primary, 'psbackup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

my $sub = $standby->background_psql('postgres', on_error_stop => 0);
$sub->query_safe("SELECT count(*) FROM streamkv.subscribe('news')");
$sub->query_safe("SELECT count(*) FROM streamkv.psubscribe('n*')");

# off (default): the primary logs nothing and the standby receives nothing
my $lsn0 = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
is($primary->safe_psql('postgres', "SELECT streamkv.publish('news', 'not replicated')"),
	'0', 'no subscriber on the primary');
$primary->safe_psql('postgres', "SELECT streamkv.set('marker', '1')");
$primary->wait_for_catchup($standby);
is($sub->query_safe('SELECT count(*) FROM streamkv.receive(100, 200)'),
	'0', 'replication off: the standby\'s subscriber gets nothing');

# on: the message arrives through redo, as a message and a pmessage
is($primary->safe_psql('postgres',
		"SET streamkv.pubsub_replicate = on; SELECT streamkv.publish('news', 'replicated ' || g) FROM generate_series(1, 3) g"),
	"0\n0\n0", 'publish with replication on (nobody on the primary)');
# receive returns what has arrived: collect until all six are in (or 30 s)
my @got;
for (my $i = 0; $i < 300 && @got < 6; $i++)
{
	my $r = $sub->query_safe(
		"SELECT string_agg(kind || ':' || coalesce(pattern, '-') || ':' || convert_from(message, 'UTF8'), ',') FROM (SELECT * FROM streamkv.receive(100, 100)) r");
	push @got, split /,/, $r if $r ne '';
}
is(join(',', @got),
	'message:-:replicated 1,pmessage:n*:replicated 1,message:-:replicated 2,pmessage:n*:replicated 2,message:-:replicated 3,pmessage:n*:replicated 3',
	'the standby\'s subscriber receives every replicated message, in order, by channel and pattern');
my @recs = split /\n/, $primary->safe_psql('postgres',
	"CREATE EXTENSION IF NOT EXISTS pg_walinspect;
	 SELECT record_type || ' ' || description FROM pg_get_wal_records_info('$lsn0', pg_current_wal_flush_lsn()) WHERE resource_manager = 'streamkv' AND record_type = 'PUBLISH'");
is(scalar(@recs), 3, 'three PUBLISH records were logged, none while replication was off');
like($recs[0] // '', qr/^PUBLISH channel "news": 12 bytes$/, 'pg_walinspect describes them');

# publishing on the standby reaches the standby's subscribers (no WAL there)
is($standby->safe_psql('postgres', "SET streamkv.pubsub_replicate = on; SELECT streamkv.publish('news', 'local')"),
	'2', 'publish on the standby counts its subscriptions (channel + pattern)');
is($sub->query_safe("SELECT count(*) FROM streamkv.receive(100, 0)"), '2', 'and they receive it');

$sub->quit;
ok(!$standby->log_contains('TRAP:') && !$primary->log_contains('TRAP:'), 'no failed assertion in the logs');
$standby->stop;
$primary->stop;
done_testing();
