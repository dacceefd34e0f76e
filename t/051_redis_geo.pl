# Differential test against a real redis-server: geo_score equals the score
# GEOADD stores, geo_decode_score equals GEOPOS to 1e-12 and geo_distance
# equals GEODIST to its 4 printed decimals, for 10,000 random points (plus
# edge points at Redis's latitude limits, the antimeridian and cell edges).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use StreamkvRedis;

my $redis_server = '/usr/bin/redis-server';
my $python = '/usr/bin/python3';
plan skip_all => 'redis-server not installed' unless -x $redis_server;
plan skip_all => 'python3-redis or python3-psycopg2 not installed'
  unless system($python, '-c', 'import redis, psycopg2') == 0;


my ($port) = start_redis();

my $node = PostgreSQL::Test::Cluster->new('redis_geo');
$node->init(extra => ['--encoding=UTF8', '--no-locale']);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv;');

my $script = "$FindBin::RealBin/tools/redis_oracle.py";
my $out = `$python $script geo "@{[$node->connstr('postgres')]}" $port 10000 20260505 2>&1`;
is($?, 0, 'oracle script ran') or diag $out;
note $out;
my %r = $out =~ /(\w+)=(\d+)/g;
is($r{points}, 10000, '10,000 points');
is($r{added}, $r{points}, 'redis added every point');
is($r{score_mismatches}, 0, 'geo_score equals the GEOADD score for every point');
is($r{geopos_mismatches}, 0, 'geo_decode_score equals GEOPOS to 1e-12 for every point');
is($r{geodist_mismatches}, 0, "geo_distance equals GEODIST to 4 decimals for $r{geodist_pairs} pairs");

$node->stop;
done_testing();
