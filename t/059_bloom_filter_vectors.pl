# RedisBloom's vectors (issue 16; ../shared/reference/redis-semantics.md,
# "Bloom filters"), checked against t/tools/bloom_oracle.py, an independent
# model of RedisBloom 2.6's scalable filter (Python, no code shared with the
# C): for each case the items reported new, the sub-filters (bytes, bits,
# hashes, capacity, items), BF.INFO's capacity/size/filters/items, the
# BF.SCANDUMP header (RedisBloom's packed structs) and every bit must be the
# oracle's.  Plus the reference's own figures: a default filter fed
# item:0..item:999 reports 995 new in 4 sub-filters of capacity 1500.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = sk_node('bfvectors', "streamkv.max_memory = '256MB'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');
my $oracle = "$FindBin::RealBin/tools/bloom_oracle.py";
# bf_add of each item in order, one call (one operation) each
$node->safe_psql('postgres', q{
CREATE FUNCTION add_each(key text, items text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer := 0;
  it text;
BEGIN
  FOREACH it IN ARRAY items LOOP
    IF streamkv.bf_add(key, it) THEN n := n + 1; END IF;
  END LOOP;
  RETURN n;
END $$});

sub oracle
{
	my ($error, $capacity, $expansion, $nonscaling, $items) = @_;
	my $in = join('', map { "$_\n" } @$items);
	my $out;
	IPC::Run::run([ 'python3', $oracle, $error, $capacity, $expansion, $nonscaling ? 1 : 0 ],
		'<', \$in, '>', \$out) or die "oracle failed";
	my %r = map { split /=/, $_, 2 } split /\n/, $out;
	return \%r;
}

sub dump_hex
{
	my ($key) = @_;
	return $node->safe_psql('postgres', qq{
WITH RECURSIVE d(it, next, data) AS (
  SELECT 1::bigint, s.next_iter, s.data FROM streamkv.bf_scandump('$key', 1) s
  UNION ALL
  SELECT d.next, s.next_iter, s.data FROM d, streamkv.bf_scandump('$key', d.next) s WHERE d.next <> 0)
SELECT string_agg(encode(data, 'hex'), '' ORDER BY it) FROM d WHERE data IS NOT NULL});
}

sub check_case
{
	my ($name, $error, $capacity, $expansion, $nonscaling, $items, $how) = @_;
	my $o = oracle($error, $capacity, $expansion, $nonscaling, $items);
	my $key = "case:$name";
	my $lit = join(',', map { my $s = $_; $s =~ s/'/''/g; "'$s'" } @$items);
	my $ns = $nonscaling ? 'true' : 'false';
	$node->safe_psql('postgres', qq{SELECT streamkv.bf_reserve('$key', $error, $capacity, $expansion, $ns)});
	my $new;
	if ($how eq 'one per statement')
	{
		$new = $node->safe_psql('postgres', qq{SELECT add_each('$key', ARRAY[$lit]::text[])});
	}
	elsif ($how eq 'bf_madd')
	{
		$new = $node->safe_psql('postgres', qq{
SELECT count(*) FROM unnest(streamkv.bf_madd('$key', VARIADIC ARRAY[$lit]::text[])) a WHERE a});
	}
	else
	{
		$new = $node->safe_psql('postgres', qq{
SELECT streamkv.bf_add_agg('$key', item ORDER BY ord) FROM unnest(ARRAY[$lit]::text[]) WITH ORDINALITY AS u(item, ord)});
	}
	is($new, $o->{new}, "$name ($how): $new items reported new, as the oracle says");
	my $size = 32;
	my @links;
	for (my $i = 0; defined $o->{"link$i"}; $i++)
	{
		my ($bytes) = split /,/, $o->{"link$i"};
		$size += 64 + $bytes;
		push @links, $o->{"link$i"};
	}
	is($node->safe_psql('postgres', qq{SELECT capacity || '|' || size || '|' || filters || '|' || items FROM streamkv.bf_info('$key')}),
		"$o->{capacity}|$size|$o->{filters}|$o->{items}", "$name: bf_info is the oracle's ($o->{filters} sub-filters, capacity $o->{capacity}, size $size)");
	is($node->safe_psql('postgres', qq{SELECT string_agg(bytes || ',' || bits || ',' || hashes || ',' || capacity || ',' || items, ';' ORDER BY filter)
FROM streamkv.bf_debug('$key')}), join(';', @links), "$name: every sub-filter's bytes, bits, hashes, capacity and items");
	is($node->safe_psql('postgres', qq{SELECT encode(data, 'hex') FROM streamkv.bf_scandump('$key', 0)}), $o->{header},
		"$name: the BF.SCANDUMP header is RedisBloom's");
	my $dump = dump_hex($key);
	ok($dump eq $o->{dump}, sprintf('%s: every bit is the oracle\'s (%d bytes)', $name, length($o->{dump}) / 2));
	return $o;
}

# ---- `foo` in a default filter: its bit positions
my $o = check_case('foo', 0.01, 100, 2, 0, ['foo'], 'one per statement');
my $hex = dump_hex('case:foo');
my @set;
my $bytes = pack('H*', $hex);
for my $i (0 .. length($bytes) * 8 - 1)
{
	push @set, $i if vec($bytes, $i, 1);
}
my %want = map { $_ => 1 } split /,/, $o->{positions};
is(join(',', @set), join(',', sort { $a <=> $b } keys %want),
	"foo sets bits $o->{positions} of 1152 (8 hashes, a = MurmurHash64A(foo, 0xc6a4a7935bd1e995))");
is($node->safe_psql('postgres', q{SELECT streamkv.bf_add('dflt', 'foo'), streamkv.bf_info('dflt')}), 't|(100,240,1,1,2)',
	'BF.ADD creates the default filter: capacity 100, size 240, 1 sub-filter, expansion 2');
is(dump_hex('dflt'), $hex, 'the same bits as the reserved filter of the same parameters');

# ---- item:0 .. item:999 (the reference's run)
my @items = map { "item:$_" } 0 .. 999;
for my $how ('one per statement', 'bf_madd', 'bf_add_agg')
{
	$node->safe_psql('postgres', q{SELECT streamkv.del('case:items')});
	my $r = check_case('items', 0.01, 100, 2, 0, \@items, $how);
	is("$r->{new}|$r->{filters}|$r->{capacity}", '995|4|1500', "$how: 995 new, 4 sub-filters, capacity 1500, as RedisBloom reports");
}

# ---- other shapes: expansion 4 and 1, tighter errors, a nonscaling filter, odd items
check_case('exp4', 0.001, 1000, 4, 0, [ map { "k$_" } 1 .. 20000 ], 'bf_add_agg');
check_case('exp1', 0.05, 50, 1, 0, [ map { "e$_" } 1 .. 500 ], 'bf_madd');
check_case('ns', 0.02, 300, 2, 1, [ map { "n$_" } 1 .. 280 ], 'bf_madd');
check_case('odd', 0.1, 7, 3, 0, [ '', 'é', '日本語', "it's", 'x' x 1000, 'a', 'a', 'b' x 7, 'c' x 8, 'd' x 9, map { "z$_" } 1 .. 60 ],
	'bf_madd');

$node->stop;
done_testing();
