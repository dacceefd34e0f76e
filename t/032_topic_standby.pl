# Topics on a streaming standby made from a base backup taken after
# producing: every record is there; a consumer blocked in fetch(wait_ms) at
# the standby's high watermark is woken by replay when the primary produces;
# writes are refused; after promotion offsets continue without reuse.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use Test::More;
use Time::HiRes qw(usleep time);

srand(32);
my $primary = topic_node('primary');
$primary->start;
$primary->safe_psql('postgres', q{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('t', 4);
	SELECT streamkv.create_topic('hdr', 1, timestamp_type => 'create')});

# records of every shape before the backup: single, bulk, large, headers
$primary->safe_psql('postgres', q{
	SELECT count(*) FROM generate_series(1, 500) i,
	       LATERAL streamkv.produce('t', convert_to('single-' || i || repeat('s', i % 300), 'UTF8'),
	                                key => convert_to('k' || (i % 17), 'UTF8')) r;
	SELECT streamkv.produce_agg('t', convert_to('bulk-' || i, 'UTF8'), NULL) FROM generate_series(1, 3000) i;
	SELECT count(*) FROM generate_series(1, 6) i,
	       LATERAL streamkv.produce('t', convert_to(repeat(md5(i::text), 400), 'UTF8'), partition => i % 4) r;
	SELECT * FROM streamkv.produce('hdr', 'h'::text,
	       headers => ARRAY[('a', '\x01')::streamkv.header, ('a', NULL)::streamkv.header],
	       "timestamp" => '2020-02-02 02:02:02.002+00');
	CHECKPOINT;});
my $before = dump_topic($primary, 't');

$primary->backup('b');
# more records after the backup's checkpoint arrive by streaming
$primary->safe_psql('postgres',
	q{SELECT streamkv.produce_agg('t', convert_to('after-backup-' || i, 'UTF8'), convert_to(i::text, 'UTF8')) FROM generate_series(1, 1000) i});

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

my $pdump = dump_topic($primary, 't');
my $sdump = dump_topic($standby, 't');
is_deeply($sdump, $pdump, 'the standby has every record of the primary, same offsets and bytes');
my $nrec = 0;
$nrec += scalar(@{ $pdump->{$_} }) for keys %$pdump;
is($nrec, 500 + 3000 + 6 + 1000, 'all 4506 records are there');
is_deeply([ map { [ @{$_}[0 .. 1] ] } @{ $sdump->{0} }[ 0 .. $#{ $before->{0} } ] ], $before->{0},
	'records from before the backup are unchanged');
is($standby->safe_psql('postgres',
		q{SELECT "timestamp" = '2020-02-02 02:02:02.002+00',
		         (SELECT string_agg(h.key || '=' || coalesce(encode(h.value, 'hex'), 'NULL'), ',') FROM unnest(headers) h)
		    FROM streamkv.fetch('hdr', 0, 0)}),
	't|a=01,a=NULL', 'timestamp and headers replayed');
is($standby->safe_psql('postgres', q{SELECT string_agg(partition || ':' || log_start_offset || ':' || high_watermark || ':' || log_end_offset, ' ' ORDER BY partition) FROM streamkv.partitions('t')}),
	$primary->safe_psql('postgres', q{SELECT string_agg(partition || ':' || log_start_offset || ':' || high_watermark || ':' || log_end_offset, ' ' ORDER BY partition) FROM streamkv.partitions('t')}),
	'partitions() agrees on the standby');

# writes are refused on the standby
my ($ret, $out, $err) = $standby->psql('postgres', q{SELECT streamkv.produce('t', 'x'::text)}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/25006/, 'produce on a standby fails with 25006');
($ret, $out, $err) = $standby->psql('postgres', q{SELECT streamkv.create_topic('nope')}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'create_topic on a standby fails');

# a consumer blocked on the standby at the high watermark is woken by replay
my $hwm = $standby->safe_psql('postgres', q{SELECT high_watermark FROM streamkv.partitions('t') WHERE partition = 1});
my $bg = $standby->background_psql('postgres');
$bg->query_until(qr/blocked-start/, qq{\\echo blocked-start\nSELECT "offset", convert_from(value, 'UTF8') FROM streamkv.fetch('t', 1, $hwm, 10, 1000000, 20000);\n\\echo blocked-done\n});
ok($standby->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%streamkv.fetch(''t'', 1,%' AND wait_event_type = 'Extension' AND pid <> pg_backend_pid()}),
	'the standby consumer is waiting in fetch');
my $t0 = time();
my $produced = $primary->safe_psql('postgres', q{SELECT partition || ':' || "offset" FROM streamkv.produce('t', 'wake up'::text, partition => 1)});
is($produced, "1:$hwm", 'the primary appended at the old high watermark');
my $got = $bg->query_until(qr/blocked-done/, '');
my $waited = time() - $t0;
$got =~ s/blocked-done\s*//;
chomp $got;
is($got, "$hwm|wake up", 'the blocked fetch on the standby returned the new record');
diag sprintf('standby consumer woke %.0f ms after produce (wait_ms was 20000)', $waited * 1000);
$bg->quit;

# a blocked fetch that times out returns nothing (and does not error)
is($standby->safe_psql('postgres', qq{SELECT count(*) FROM streamkv.fetch('t', 1, $hwm + 1, 10, 1000, 200)}), '0',
	'a wait that ends returns no records');

# retention decided on the primary is replayed: same log start, same records
$primary->safe_psql('postgres', q{SELECT streamkv.create_topic('ret', 2, retention_bytes => 20000);
	SELECT streamkv.produce_agg('ret', convert_to(repeat('r', 200) || i, 'UTF8'), convert_to((i % 7)::text, 'UTF8'))
	  FROM generate_series(1, 3000) i});
ok($primary->poll_query_until('postgres', q{SELECT bool_and(log_start_offset > 0 AND bytes < 20000 + 8192) FROM streamkv.partitions('ret')}),
	'retention ran on the primary');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
my $q = q{SELECT string_agg(concat_ws(':', partition, log_start_offset, high_watermark, log_end_offset, records, bytes), ' ' ORDER BY partition) FROM streamkv.partitions('ret')};
is($standby->safe_psql('postgres', $q), $primary->safe_psql('postgres', $q), 'the standby has the same log start, watermarks, records and bytes');
is_deeply(dump_topic($standby, 'ret'), dump_topic($primary, 'ret'), 'the standby returns the same records after retention');
my $ls = $standby->safe_psql('postgres', q{SELECT log_start_offset FROM streamkv.partitions('ret') WHERE partition = 0});
($ret, $out, $err) = $standby->psql('postgres', "SELECT * FROM streamkv.fetch('ret', 0, " . ($ls - 1) . ')');
like($err, qr/out of range.*log start offset is $ls/s, 'fetch below the log start fails on the standby');
# a standby that loads the topic only now (after a restart) agrees as well
$standby->restart;
is($standby->safe_psql('postgres', $q), $primary->safe_psql('postgres', $q), 'after a standby restart, the same log start and counts');

# promotion: offsets continue at the log end, nothing reused
$primary->safe_psql('postgres', q{SELECT streamkv.produce_agg('t', '\x00'::bytea, NULL) FROM generate_series(1, 100)});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
my $final = dump_topic($primary, 't');
my $pparts = topic_parts($primary, 't');
$primary->stop('fast');
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die;
is_deeply(dump_topic($standby, 't'), $final, 'the promoted standby has every record');
for my $p (0 .. 3)
{
	my $o = $standby->safe_psql('postgres', qq{SELECT "offset" FROM streamkv.produce('t', 'promoted'::text, partition => $p)});
	is($o, $pparts->{$p}{log_end}, "partition $p: the first produce after promotion gets offset = previous log end ($pparts->{$p}{log_end})");
}
my $sparts = topic_parts($standby, 't');
is(join(' ', map { $sparts->{$_}{hwm} } 0 .. 3), join(' ', map { $pparts->{$_}{log_end} + 1 } 0 .. 3),
	'high watermarks advance by one on the promoted node');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM streamkv.partitions('t') p, LATERAL streamkv.fetch('t', p.partition, p.high_watermark - 1) f WHERE convert_from(f.value, 'UTF8') = 'promoted'}),
	'4', 'the new records are readable');

# and the promoted node survives a crash with them
$standby->stop('immediate');
$standby->start;
is_deeply(topic_parts($standby, 't'), $sparts, 'the promoted node keeps its offsets across a crash');

$standby->stop;
done_testing();
