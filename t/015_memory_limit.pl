# streamkv.max_memory: writes past the limit fail with SQLSTATE 53200
# (out of memory, like Redis's noeviction policy); reads and deletes keep
# working; the failed write changed nothing; the server never crashes;
# freeing memory makes writes work again; the data reloads after a restart.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('memlimit', "streamkv.max_memory = '16MB'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');
is($node->safe_psql('postgres', 'SHOW streamkv.max_memory'), '16MB', 'streamkv.max_memory = 16MB');
my $limit = $node->safe_psql('postgres', 'SELECT memory_limit FROM streamkv.info()');
note "info().memory_limit = $limit";
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# fill with 1 kB values until a write fails; returns how many succeeded and
# the SQLSTATE of the failure
$node->safe_psql('postgres', q{
CREATE FUNCTION fill(prefix text, size int, OUT written bigint, OUT failed_with text) LANGUAGE plpgsql AS $$
BEGIN
  written := 0;
  LOOP
    BEGIN
      PERFORM streamkv.set(prefix || written, repeat('x', size));
    EXCEPTION WHEN OTHERS THEN
      failed_with := SQLSTATE;
      RETURN;
    END;
    written := written + 1;
    IF written > 1000000 THEN failed_with := 'never full'; RETURN; END IF;
  END LOOP;
END $$;
});
my ($written, $state) = split /\|/, $node->safe_psql('postgres', q{SELECT * FROM fill('fill', 1000)});
note "wrote $written 1 kB values before the limit";
is($state, '53200', 'a write past the limit fails with SQLSTATE 53200');
cmp_ok($written, '>', 1000, 'a useful amount was written first');
cmp_ok($written, '<', 16 * 1024, 'and no more than 16 MB of values');

my $n = $node->safe_psql('postgres', 'SELECT streamkv.dbsize()');
is($n, $written, 'dbsize = the successful writes');
is($node->safe_psql('postgres', "SELECT streamkv.exists('fill$written')"), '0', 'the failed SET created nothing');

# further failing writes change nothing
is(sk_sqlstate($node, q{SELECT streamkv.set('fill0', repeat('y', 200000))}), '53200', 'growing overwrite fails with 53200');
is($node->safe_psql('postgres', q{SELECT streamkv.get('fill0') = repeat('x', 1000), streamkv.ttl('fill0')}), 't|-1',
	'the failed overwrite left the old value');
is(sk_sqlstate($node, q{SELECT streamkv.hset('newhash', 'f', repeat('y', 200000))}), '53200', 'HSET past the limit fails with 53200');
is($node->safe_psql('postgres', q{SELECT streamkv.exists('newhash'), streamkv.dbsize()}), "0|$n", 'the failed HSET created nothing');
is(sk_sqlstate($node, q{SELECT streamkv.append('fill1', repeat('y', 200000))}), '53200', 'APPEND past the limit fails with 53200');
is($node->safe_psql('postgres', q{SELECT streamkv.strlen('fill1')}), '1000', 'the failed APPEND left the value');
is(sk_sqlstate($node, q{SELECT streamkv.mset('m1', repeat('y', 100000), 'm2', repeat('y', 100000), 'm3', repeat('y', 100000))}),
	'53200', 'MSET past the limit fails with 53200');
is($node->safe_psql('postgres', q{SELECT streamkv.exists('m1', 'm2', 'm3')}), '0', 'the failed MSET set none of its keys');

# reads work
is($node->safe_psql('postgres', q{SELECT length(streamkv.get('fill5')), array_length(streamkv.mget('fill1', 'fill2', 'nokey'), 1), streamkv.type('fill3'), streamkv.ttl('fill4')}),
	'1000|3|string|-1', 'reads work at the limit');
is($node->safe_psql('postgres', q{SELECT count(*) FROM streamkv.keys('fill*')}), $n, 'KEYS works at the limit');

# deletes work and free memory
is($node->safe_psql('postgres', q{SELECT streamkv.del(VARIADIC ARRAY(SELECT 'fill' || i FROM generate_series(0, 4999) i))}),
	'5000', 'DEL works at the limit');
is($node->safe_psql('postgres', q{SELECT streamkv.getdel('fill5000') = repeat('x', 1000)}), 't', 'GETDEL works at the limit');
is($node->safe_psql('postgres', q{SELECT streamkv.set('after', 'room again'), streamkv.get('after')}), 'OK|room again',
	'after deleting, writes work again');
$n = $node->safe_psql('postgres', 'SELECT streamkv.dbsize()');

# the server never crashed
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $start_time, 'no crash-restart happened');
ok(!$node->log_contains('terminated by signal'), 'no process was killed');

# a restart reloads everything within the limit
my $dump = sk_dump($node);
$node->restart;
sk_is_dump(sk_dump($node), $dump, 'after a restart the keyspace reloads intact');
$node->stop('immediate');
$node->start;
sk_is_dump(sk_dump($node), $dump, 'after crash recovery the keyspace reloads intact');
is($node->safe_psql('postgres', 'SELECT streamkv.dbsize()'), $n, 'dbsize after recovery');

# and fills again to the limit, cleanly
($written, $state) = split /\|/, $node->safe_psql('postgres', q{SELECT * FROM fill('again', 1000)});
is($state, '53200', "refilling stops at the limit again with 53200 (after $written writes)");
ok(!$node->log_contains('terminated by signal'), 'still no process killed');
$node->stop;
done_testing();
