# Differential test against a cluster-enabled redis-server: key_slot equals
# CLUSTER KEYSLOT for 10,000 random keys (text and binary, with and without
# hash tags, empty tags, unbalanced braces), as key_slot(bytea) and, for the
# keys that are valid UTF-8 without NUL, as key_slot(text).
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


my ($port) = start_redis('--cluster-enabled', 'yes', '--cluster-config-file', '@DIR@/nodes.conf');

my $node = PostgreSQL::Test::Cluster->new('redis_keyslot');
$node->init(extra => ['--encoding=UTF8', '--no-locale']);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv;');

my $script = "$FindBin::RealBin/tools/redis_oracle.py";
my $out = `$python $script keyslot "@{[$node->connstr('postgres')]}" $port 10000 20260505 2>&1`;
is($?, 0, 'oracle script ran') or diag $out;
note $out;
my %r = $out =~ /(\w+)=(\d+)/g;
is($r{keys}, 10000, '10,000 keys');
cmp_ok($r{tagged}, '>', 2000, "$r{tagged} keys with a hash tag");
cmp_ok($r{binary}, '>', 1000, "$r{binary} binary keys");
is($r{mismatches}, 0, 'key_slot(bytea) equals CLUSTER KEYSLOT for every key');
is($r{text_mismatches}, 0, "key_slot(text) equals CLUSTER KEYSLOT for $r{text_keys} text keys");
is($node->safe_psql('postgres', q{SELECT string_agg(streamkv.key_slot(k)::text, ',') FROM unnest(ARRAY['foo','bar','{user1000}.following','123456789','','{}','{}.foo','foo{}{bar}','foo{{bar}}zap','foo{bar}{zap}','a{b}c']) k}),
   '12182,5061,3443,12739,0,15257,64,8363,4015,5061,3300', 'documented CLUSTER KEYSLOT vectors');

$node->stop;
done_testing();
