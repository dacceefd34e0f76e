# Geo sets through a crash, a base backup, replication and promotion (issue
# 12's TAP acceptance), with wal_consistency_checking = 'streamkv' (sk_node):
# - 20,000 points loaded with geoadd (arrays) and geoadd_agg, moved with
#   geoadd xx ch, a geosearchstore; the answers of a fixed list of geosearch
#   calls are the same after an immediate stop;
# - a standby from a base backup gives the same answers, follows new geoadds,
#   refuses geoadd, geoadd_agg and geosearchstore with 25006, and answers
#   again after promotion, where it accepts writes.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = sk_node('gprimary', '', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# points on a deterministic pseudo-random walk (no random(): same on every run)
$primary->safe_psql('postgres', q{
	SELECT streamkv.geoadd('cities',
		array_agg(((i * 7919) % 36000) / 100.0 - 180),
		array_agg(((i * 104729) % 17000) / 100.0 - 85),
		array_agg('c' || i))
	FROM generate_series(1, 10000) i;
	SELECT streamkv.geoadd_agg('cities', 13 + (i % 100) / 1000.0, 38 + (i / 100) / 1000.0, 'p' || i)
	FROM generate_series(0, 9999) i;
	SELECT streamkv.geoadd('cities', 13.361389, 38.115556, 'c1', xx => true, ch => true);
	SELECT streamkv.geosearchstore('near', 'cities', from_member => 'c1', radius => 50, unit => 'km');
});
my $searches = q{
	SELECT string_agg(member || ':' || round(dist::numeric, 4), ' ')
	  FROM streamkv.geosearch('cities', from_lon => 13.05, from_lat => 38.05, radius => 3, unit => 'km', sort => 'asc');
	SELECT string_agg(member, ' ')
	  FROM streamkv.geosearch('cities', from_member => 'c42', radius => 800, unit => 'km');
	SELECT string_agg(member, ' ')
	  FROM streamkv.geosearch('cities', from_lon => 179.9, from_lat => 84.9, width => 500, height => 300, unit => 'km', sort => 'desc');
	SELECT string_agg(member, ' ')
	  FROM streamkv.geosearch('cities', from_member => 'p5050', radius => 2, unit => 'km', count => 7, "any" => true);
	SELECT streamkv.zcard('cities'), streamkv.zcard('near'), streamkv.geohash('cities', 'c1', 'p0');
	SELECT round(streamkv.geodist('cities', 'c1', 'c2', 'mi')::numeric, 4);
};
my $answers = $primary->safe_psql('postgres', $searches);
like($answers, qr/^20000\|\d+\|\{sqc8b49rny0,/m, '20,000 members, c1 moved to Palermo');
ok(length($answers) > 1000, 'the searches find members');

# ---- crash
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres', $searches), $answers, 'the same geosearch answers after a crash');

# ---- a standby from a base backup
$primary->backup('gb');
my $standby = sk_new_node('gstandby');
$standby->init_from_backup($primary, 'gb', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', $searches), $answers, 'the standby gives the same geosearch answers');

$primary->safe_psql('postgres', q{
	SELECT streamkv.geoadd('cities', 13.06, 38.06, 'newcomer');
	SELECT streamkv.geosearchstore('near', 'cities', from_lon => 13.06, from_lat => 38.06, radius => 1, unit => 'km', storedist => true);
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
my $answers2 = $primary->safe_psql('postgres', $searches);
isnt($answers2, $answers, 'the new writes change the answers');
is($standby->safe_psql('postgres', $searches), $answers2, 'the standby follows geoadd and geosearchstore');

for my $w (q{SELECT streamkv.geoadd('cities', 1, 1, 'x')},
	q{SELECT streamkv.geoadd_agg('cities', 1, 1, 'x')},
	q{SELECT streamkv.geosearchstore('d', 'cities', from_member => 'c1', radius => 1)})
{
	is(sk_sqlstate($standby, $w), '25006', "standby refuses: $w");
}

$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'promotion';
is($standby->safe_psql('postgres', $searches), $answers2, 'the promoted standby gives the same answers');
is($standby->safe_psql('postgres', q{SELECT streamkv.geoadd('cities', 1, 1, 'after-promotion')}), '1',
	'the promoted standby accepts geoadd');
$standby->stop;

ok(!$primary->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');
$primary->stop;
done_testing();
