# Crash recovery of the keyspace: writes before and after a checkpoint, an
# immediate stop, restart: every write acknowledged under
# synchronous_commit = on is there (keys, types, values, TTL presence). Then
# a backend is killed with SIGKILL (restart_after_crash = on): the cluster
# crash-restarts, shared memory is rebuilt and reloaded from the pages, the
# data is intact. A backend killed in the middle of a long batch of writes
# leaves a prefix of that batch (WAL is a sequence), never a hole.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = sk_node('crash', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

my %m;    # the model

sub mset_str { my ($k, $v, $ttl) = @_; $m{$k} = { type => 'string', value => $v, ttl => $ttl // 0 }; }

# ---- writes before the checkpoint
$node->safe_psql('postgres',
	q{SELECT count(streamkv.set('s' || i, 'v' || i)) FROM generate_series(1, 2000) i});
mset_str("s$_", "v$_") for 1 .. 2000;

$node->safe_psql('postgres',
	q{SELECT count(streamkv.hset('h' || i, 'a', i::text, 'b', (i * 2)::text, 'c', 'x')) FROM generate_series(1, 300) i});
$m{"h$_"} = { type => 'hash', value => { a => $_, b => $_ * 2, c => 'x' }, ttl => 0 } for 1 .. 300;

$node->safe_psql('postgres',
	q{SELECT count(streamkv.set('t' || i, 'ttl' || i, ex => 100000)) FROM generate_series(1, 100) i});
mset_str("t$_", "ttl$_", 1) for 1 .. 100;

$node->safe_psql('postgres', q{SELECT count(streamkv.incr('counter')) FROM generate_series(1, 500)});
mset_str('counter', '500');

$node->safe_psql('postgres', q{SELECT streamkv.del('s1', 's2', 's3', 'nosuchkey')});
delete $m{"s$_"} for 1 .. 3;

# binary-safe value
$node->safe_psql('postgres', q{SELECT streamkv.set('bin', '\x00ff0a41'::bytea)});
mset_str('bin', "\x00\xff\x0aA");

sk_is_dump(sk_dump($node), sk_model_dump(\%m), 'state before the checkpoint matches the model');

$node->safe_psql('postgres', 'CHECKPOINT');

# ---- writes after the checkpoint
$node->safe_psql('postgres',
	q{SELECT count(streamkv.set('s' || i, 'w' || i)) FROM generate_series(4, 500) i});
mset_str("s$_", "w$_") for 4 .. 500;

$node->safe_psql('postgres', q{SELECT count(streamkv.hdel('h' || i, 'c')) FROM generate_series(1, 100) i});
delete $m{"h$_"}{value}{c} for 1 .. 100;
$node->safe_psql('postgres', q{SELECT count(streamkv.hincrby('h' || i, 'a', 1000)) FROM generate_series(1, 50) i});
$m{"h$_"}{value}{a} = $_ + 1000 for 1 .. 50;
# emptied hashes disappear
$node->safe_psql('postgres', q{SELECT count(streamkv.hdel('h' || i, 'a', 'b', 'c')) FROM generate_series(291, 300) i});
delete $m{"h$_"} for 291 .. 300;

$node->safe_psql('postgres', q{SELECT count(streamkv.persist('t' || i)) FROM generate_series(1, 10) i});
$m{"t$_"}{ttl} = 0 for 1 .. 10;
$node->safe_psql('postgres', q{SELECT count(streamkv.expire('s' || i, 100000)) FROM generate_series(600, 610) i});
$m{"s$_"}{ttl} = 1 for 600 .. 610;
# SET clears the TTL, KEEPTTL keeps it
$node->safe_psql('postgres', q{SELECT streamkv.set('t20', 'plain'), streamkv.set('t21', 'kept', keepttl => true)});
mset_str('t20', 'plain');
mset_str('t21', 'kept', 1);
# already-expired expiry deletes
$node->safe_psql('postgres', q{SELECT streamkv.expire('t30', 0), streamkv.pexpireat('t31', 1000)});
delete $m{"t$_"} for 30, 31;

$node->safe_psql('postgres', q{SELECT count(streamkv.incrby('counter', 3)) FROM generate_series(1, 100)});
mset_str('counter', '800');
$node->safe_psql('postgres', q{SELECT streamkv.incrbyfloat('fl', 10.5), streamkv.incrbyfloat('fl', 0.1)});
mset_str('fl', '10.6');
# values larger than a page
$node->safe_psql('postgres', q{SELECT streamkv.set('big', repeat('x', 100000)), streamkv.append('big', 'yz')});
mset_str('big', ('x' x 100000) . 'yz');
$node->safe_psql('postgres', q{SELECT streamkv.mset('m1', 'one', 'm2', 'two', 's10', 'ten')});
mset_str('m1', 'one'); mset_str('m2', 'two'); mset_str('s10', 'ten');
# a ROLLBACK does not undo an operation (like nextval); nothing acknowledged
# its durability, but DESIGN.md promises that the WAL writer makes it durable
# soon: give it two seconds (wal_writer_delay is 200 ms)
$node->safe_psql('postgres', q{BEGIN; SELECT streamkv.set('rolledback', 'still here'); ROLLBACK});
mset_str('rolledback', 'still here');
sleep(2);

my $expected = sk_model_dump(\%m);
sk_is_dump(sk_dump($node), $expected, 'state before the crash matches the model');

# ---- immediate stop and restart
$node->stop('immediate');
$node->start;
sk_is_dump(sk_dump($node), $expected, 'after stop(immediate) and restart every acknowledged write is present');
is($node->safe_psql('postgres', 'SELECT streamkv.dbsize()'), scalar(keys %m), 'dbsize after recovery');
my $ttl = $node->safe_psql('postgres', q{SELECT streamkv.ttl('t50')});
ok($ttl > 99000 && $ttl <= 100000, "TTL survives recovery (ttl t50 = $ttl)");

# more writes after recovery, then a second crash without a checkpoint between
$node->safe_psql('postgres', q{SELECT count(streamkv.set('after' || i, i::text)) FROM generate_series(1, 300) i});
mset_str("after$_", "$_") for 1 .. 300;
$expected = sk_model_dump(\%m);
$node->stop('immediate');
$node->start;
sk_is_dump(sk_dump($node), $expected, 'second crash (no checkpoint in between): state intact');

# ---- a backend killed with SIGKILL: the cluster crash-restarts
$node->safe_psql('postgres', q{SELECT count(streamkv.hset('k9h' || i, 'f', 'v' || i)) FROM generate_series(1, 100) i});
$m{"k9h$_"} = { type => 'hash', value => { f => "v$_" }, ttl => 0 } for 1 .. 100;
$expected = sk_model_dump(\%m);

my $bg = $node->background_psql('postgres');
my $pid = $bg->query_safe('SELECT pg_backend_pid()');
chomp $pid;
# this backend has touched the keyspace (loaded it) before it dies
$bg->query_safe(q{SELECT streamkv.get('s100')});
my $start_before = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $logpos = -s $node->logfile;
ok(kill('KILL', $pid), "SIGKILL to backend $pid");
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $logpos);
sk_wait_restart($node);
eval { $bg->quit };
sk_is_dump(sk_dump($node), $expected, 'after a backend SIGKILL and crash-restart the keyspace is intact');

# ---- a backend killed in the middle of a batch of writes
$bg = $node->background_psql('postgres', on_error_stop => 0);
$pid = $bg->query_safe('SELECT pg_backend_pid()');
chomp $pid;
$bg->query_until(qr/batch-started/, q{\echo batch-started
SELECT count(streamkv.set('batch' || i, 'b' || i)) FROM generate_series(1, 3000000) i;
});
# kill it once the batch is well under way (visible to other sessions)
$node->poll_query_until('postgres', q{SELECT streamkv.exists('batch20000') = 1})
  or die 'the batch did not start';
usleep(300_000);
$logpos = -s $node->logfile;
ok(kill('KILL', $pid), "SIGKILL to backend $pid in the middle of a batch");
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $logpos);
sk_wait_restart($node);
eval { $bg->quit };

my $n = $node->safe_psql('postgres', q{SELECT count(*) FROM streamkv.keys('batch*')});
my $maxn = $node->safe_psql('postgres',
	q{SELECT coalesce(max(substr(k, 6)::int), 0) FROM streamkv.keys('batch*') k});
note "batch: $n keys survived, highest batch$maxn";
is($n, $maxn, 'the surviving part of the killed batch is a prefix (no holes)');
my $bad = $node->safe_psql('postgres',
	q{SELECT count(*) FROM streamkv.keys('batch*') k WHERE streamkv.get(k) <> 'b' || substr(k, 6)});
is($bad, 0, 'every surviving batch value is right');
# everything else is as before
$node->safe_psql('postgres', q{SELECT streamkv.del(VARIADIC ARRAY(SELECT streamkv.keys('batch*')))})
  if $n > 0;
sk_is_dump(sk_dump($node), $expected, 'the rest of the keyspace is intact');

# and once more through a clean restart
$node->restart;
sk_is_dump(sk_dump($node), $expected, 'after a clean restart the keyspace is intact');

ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');
$node->stop;
done_testing();
