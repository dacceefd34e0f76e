# pg_dump / pg_restore carry streamkv's data (issue 14, item 2): a database
# with every kind of data — topics with headers, NULL keys and values,
# explicit timestamps and a log start advanced by retention; consumer-group
# commits with metadata; a share group with acknowledged, pending and
# redelivered records; keys of every type with TTLs; grants — is dumped
# with `pg_dump | psql` and `pg_dump -Fc | pg_restore` into new databases,
# and every observable answer is compared with the original.  Then the
# restored data survives a crash (it went through the WAL), and
# `--schema-only` carries no data while `--data-only` carries it.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('dump', '');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION streamkv;
	CREATE ROLE dump_reader;
	SELECT streamkv.create_topic('orders', 3);
	SELECT streamkv.create_topic('logs', 1, retention_bytes => 20000, timestamp_type => 'log_append');
	SELECT streamkv.create_topic('dlq');
	SELECT count(*) FROM (
		SELECT streamkv.produce('orders', convert_to('order ' || i, 'UTF8'),
			CASE WHEN i % 7 = 0 THEN NULL ELSE convert_to('customer-' || (i % 11), 'UTF8') END,
			CASE WHEN i % 3 = 0 THEN ARRAY[('trace', convert_to('t' || i, 'UTF8'))::streamkv.header,
			                               ('dup', NULL)::streamkv.header, ('dup', '\x00ff'::bytea)::streamkv.header] END,
			NULL, date_trunc('second', now()) - interval '1 hour' + i * interval '1 ms')
		FROM generate_series(1, 300) i) s;
	SELECT streamkv.produce('orders', NULL::bytea, '\x01'::bytea, partition => 1);
	SELECT count(*) FROM (SELECT streamkv.produce('logs', repeat('x', 500)) FROM generate_series(1, 400) i) s;
	SELECT streamkv.commit('billing', 'orders', 0, 5, metadata => 'm0');
	SELECT streamkv.commit('billing', 'orders', 2, 17);
	SELECT streamkv.commit('audit', 'logs', 0, 390);
	SELECT streamkv.create_share_group('workers', 'orders', lock_duration_ms => 600000,
		max_deliveries => 3, dead_letter_topic => 'dlq', auto_offset_reset => 'earliest');
	SELECT count(*) FROM streamkv.acquire('workers', 'w1', 10);
	SELECT count(*) FROM streamkv.acquire('workers', 'w2', 5);
	SELECT streamkv.set('s:plain', 'hello');
	SELECT streamkv.set('s:ttl', 'bye', ex => 100000);
	SELECT streamkv.incrby('n:counter', 42);
	SELECT streamkv.set('s:bin', '\x00010203ff'::bytea);
	SELECT streamkv.hset('h:user', 'name', 'ann', 'age', '37', 'empty', '');
	SELECT streamkv.expire('h:user', 200000);
	SELECT streamkv.zadd('z:board', ARRAY[1.5, -2, 1e300, 0], ARRAY['a', 'b', 'c', '']);
	SELECT streamkv.geoadd('g:places', ARRAY[13.361389, 15.087269], ARRAY[38.115556, 37.502669], ARRAY['Palermo', 'Catania']);
	SELECT streamkv.bf_reserve('bf:seen', 0.001, 100);
	SELECT count(*) FROM (SELECT streamkv.bf_add('bf:seen', 'item' || i) FROM generate_series(1, 250) i) s;
	SELECT streamkv.acl_grant('topic', 'orders', 'consume', 'dump_reader');
	SELECT streamkv.acl_grant('keyspace', NULL, 'read', 'dump_reader');
});
# ack some, release one (a second delivery)
my @held = split /\n/, $node->safe_psql('postgres',
	"SELECT partition || ' ' || \"offset\" FROM streamkv.pending('workers') WHERE consumer = 'w1' ORDER BY 1");
my ($p0, $o0) = split / /, $held[0];
my ($p1, $o1) = split / /, $held[1];
$node->safe_psql('postgres', "SELECT streamkv.ack('workers', 'w1', $p0, ${o0}::bigint)");
$node->safe_psql('postgres', "SELECT streamkv.release('workers', 'w1', $p1, ${o1}::bigint)");
# retention advances the log start of 'logs'
ok($node->poll_query_until('postgres',
		"SELECT log_start_offset > 0 FROM streamkv.partitions('logs')"),
	'retention advanced the log start of topic logs');

# Every observable answer, as one text
my $observe = sub {
	my ($db) = @_;
	return $node->safe_psql($db, q{
		SELECT 'topic ' || name || ' ' || partitions || ' ' || retention_ms || ' ' || retention_bytes || ' ' || max_message_bytes || ' ' || timestamp_type
		  FROM streamkv.topics() ORDER BY name;
		SELECT 'part ' || t.name || ' ' || p.partition || ' ' || p.log_start_offset || ' ' || p.high_watermark || ' ' || p.records || ' ' || p.bytes
		  FROM streamkv.topics() t, streamkv.partitions(t.name) p ORDER BY t.name, p.partition;
		SELECT 'rec ' || t.name || ' ' || f.partition || ' ' || f."offset" || ' ' || f."timestamp" || ' ' || coalesce(encode(f.key, 'hex'), 'NULL') || ' ' ||
		       coalesce(encode(f.value, 'hex'), 'NULL') || ' ' || coalesce(f.headers::text, 'NULL')
		  FROM streamkv.topics() t, streamkv.partitions(t.name) p,
		       LATERAL streamkv.fetch(t.name, p.partition, p.log_start_offset, 100000) f
		 ORDER BY t.name, f.partition, f."offset";
		SELECT 'committed ' || g || ' ' || t || ' ' || c.partition || ' ' || c."offset" || ' ' || coalesce(c.metadata, 'NULL')
		  FROM (VALUES ('billing', 'orders'), ('audit', 'logs')) v(g, t), streamkv.committed(g, t) c ORDER BY 1;
		SELECT 'group ' || "group" || ' ' || type FROM streamkv.groups() ORDER BY 1;
		SELECT 'pending ' || partition || ' ' || "offset" || ' ' || consumer || ' ' || deliveries FROM streamkv.pending('workers') ORDER BY 1;
		SELECT 'key ' || k || ' ' || streamkv.type(k) || ' ' || (streamkv.pttl(k) > 0)::text || ' ' || (streamkv.expiretime(k) / 10)
		  FROM streamkv.keys('*') k ORDER BY 1;
		SELECT 'string ' || streamkv.get('s:plain') || ' ' || streamkv.get('s:ttl') || ' ' || streamkv.get('n:counter') || ' ' || encode(streamkv.get_bytea('s:bin'), 'hex');
		SELECT 'hash ' || field || '=' || value FROM streamkv.hgetall('h:user') ORDER BY 1;
		SELECT 'zset ' || member || ' ' || score FROM streamkv.zrangebyscore('z:board', '-inf', '+inf');
		SELECT 'geo ' || member || ' ' || lon || ' ' || lat FROM streamkv.geopos('g:places', 'Palermo', 'Catania');
		SELECT 'bloom ' || streamkv.bf_card('bf:seen') || ' ' || (SELECT count(*) FROM generate_series(1, 250) i WHERE streamkv.bf_exists('bf:seen', 'item' || i))
		       || ' ' || (SELECT count(*) FROM generate_series(1, 2000) i WHERE streamkv.bf_exists('bf:seen', 'other' || i));
		SELECT 'bfinfo ' || i::text FROM streamkv.bf_info('bf:seen') i;
		SELECT 'grant ' || object_type || ' ' || coalesce(object_name, '-') || ' ' || role || ' ' || privilege FROM streamkv.privileges ORDER BY 1;
	});
};
my $orig = $observe->('postgres');
like($orig, qr/^rec orders 1 \d+ .* 01 NULL NULL$/m, 'the original has a record with a NULL value');
like($orig, qr/^pending /m, 'the original has pending share records');
my %n;
$n{$1}++ while $orig =~ /^(\w+) /mg;
diag(join(', ', map { "$_: $n{$_}" } sort keys %n));
is($n{key}, 8, 'eight keys of every type');
ok($n{rec} > 301 && $n{rec} < 701, 'records of orders and of what retention left of logs');
is($n{pending}, 13, 'thirteen pending share records (15 acquired, 1 acknowledged, 1 released)');
is($n{committed}, 3, 'three committed offsets');
is($n{grant}, 2, 'two grants');

my $dumpfile = $node->basedir . '/plain.sql';
my $custom = $node->basedir . '/custom.dump';
$node->command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dumpfile ], 'pg_dump (plain)');
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $custom ], 'pg_dump -Fc');

$node->safe_psql('postgres', 'CREATE DATABASE plaincopy; CREATE DATABASE customcopy; CREATE DATABASE schemaonly; CREATE DATABASE dataonly');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('plaincopy'), '-f', $dumpfile ],
	'pg_dump | psql restores');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('customcopy'), $custom ], 'pg_restore restores');

is($observe->('plaincopy'), $orig, 'plain restore answers every query like the original');
is($observe->('customcopy'), $orig, 'pg_restore answers every query like the original');

# the restored copy produces on from where the original was
is($node->safe_psql('plaincopy', "SELECT \"offset\" FROM streamkv.produce('logs', 'next')"),
	$node->safe_psql('postgres', "SELECT \"offset\" FROM streamkv.produce('logs', 'next')"),
	'the next offset is the same in the copy');

# --schema-only: no data; --data-only into a database with the extension: the data
my $schema = $node->basedir . '/schema.sql';
$node->command_ok([ 'pg_dump', '--schema-only', '-d', $node->connstr('postgres'), '-f', $schema ], 'pg_dump --schema-only');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('schemaonly'), '-f', $schema ], 'restore the schema');
is($node->safe_psql('schemaonly', 'SELECT (SELECT count(*) FROM streamkv.topics()) + streamkv.dbsize()'), '0',
	'--schema-only carries no topics and no keys');
my $data = $node->basedir . '/data.sql';
$node->command_ok([ 'pg_dump', '--data-only', '-d', $node->connstr('postgres'), '-f', $data ], 'pg_dump --data-only');
$node->safe_psql('dataonly', 'CREATE EXTENSION streamkv');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('dataonly'), '-f', $data ], 'restore the data');
is($node->safe_psql('dataonly', 'SELECT streamkv.dbsize()'), $node->safe_psql('postgres', 'SELECT streamkv.dbsize()'),
	'--data-only carries the keys');

# restoring twice is refused (the topics exist), with a clear error
my ($ret, $out, $err) = $node->psql('plaincopy', "\\set ON_ERROR_STOP 1\n\\i $dumpfile");
like($err, qr/topic "dlq" already exists|already exists/, 'a second restore into the same database is refused');

# the restored data went through the WAL: it survives a crash
my $before = $observe->('customcopy');
$node->stop('immediate');
$node->start;
is($observe->('customcopy'), $before, 'after a crash the restored database answers the same');

# bad rows
($ret, $out, $err) = $node->psql('customcopy', "INSERT INTO streamkv.dump_rows (kind) VALUES ('nonsense')");
like($err, qr/invalid row for streamkv.dump_rows: unknown kind/, 'an unknown kind is refused');
($ret, $out, $err) = $node->psql('customcopy', "INSERT INTO streamkv.dump_rows (kind, pos) VALUES ('format', 99)");
like($err, qr/dump format 99 is not supported/, 'an unknown format is refused');
($ret, $out, $err) = $node->psql('customcopy', "INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts) VALUES ('record', 'orders', 0, 0, now())");
like($err, qr/out of order/, 'a record at a used offset is refused');
($ret, $out, $err) = $node->psql('customcopy', "DELETE FROM streamkv.dump_rows");
like($err, qr/does not support DELETE/, 'DELETE is refused');

ok(!$node->log_contains('TRAP:'), 'no failed assertion in the log');
$node->stop;
done_testing();
