# Helpers shared by streamkv's TAP tests.
#
# Every node gets shared_preload_libraries = 'streamkv' and
# wal_consistency_checking = 'streamkv', and a port from 54370-54379 (the
# ports this project's tests may use; nodes listen on a Unix socket in a
# temporary directory, the port only names it). Redis ports come from
# 6380-6389.
package StreamkvTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(sk_wait_restart sk_new_node sk_node free_port sk_dump sk_dump_sql sk_model_dump
  sk_sqlstate sk_is_dump);

my %used_port;

# First port in [$lo, $hi] not handed out yet and bindable on 127.0.0.1.
# Waits until a crash-restarting server accepts queries again.  Not
# poll_query_until: while the server refuses connections psql exits before
# reading its stdin, and IPC::Run dies of the broken pipe.
sub sk_wait_restart
{
	my ($node) = @_;
	local $SIG{PIPE} = 'IGNORE';
	for (1 .. 1200)
	{
		my $ok = eval {
			my ($ret, $out) = $node->psql('postgres', 'SELECT 1');
			$ret == 0 && $out eq '1';
		};
		return 1 if $ok;
		select(undef, undef, undef, 0.1);
	}
	die 'the server did not come back';
}

sub free_port
{
	my ($lo, $hi) = @_;
	for my $p ($lo .. $hi)
	{
		next if $used_port{$p};
		next unless PostgreSQL::Test::Cluster::can_bind('127.0.0.1', $p);
		$used_port{$p} = 1;
		return $p;
	}
	die "no free port in $lo-$hi";
}

# A node object (not initialised) on a project port.
sub sk_new_node
{
	my ($name) = @_;
	return PostgreSQL::Test::Cluster->new($name, port => free_port(54370, 54379));
}

# An initialised node with streamkv preloaded. %init goes to init(); $extra
# is appended to postgresql.conf.
sub sk_node
{
	my ($name, $extra, %init) = @_;
	my $node = sk_new_node($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'streamkv'\n"
		  . "wal_consistency_checking = 'streamkv'\n"
		  . "synchronous_commit = on\n"
		  . ($extra // ''));
	return $node;
}

# The whole keyspace of a database as text, one line per key:
#   key|type|value|has_ttl
# strings as hex of their bytes, hashes as field=value pairs sorted by field,
# sorted sets as member=score pairs in rank order, bloom filters as their
# bf_info and the sha256 of their BF.SCANDUMP (header and bits).
sub sk_dump_sql
{
	return q{
SELECT coalesce(string_agg(
    k || '|' || t || '|' ||
    CASE t
      WHEN 'string' THEN encode(streamkv.get_bytea(k), 'hex')
      WHEN 'hash' THEN (SELECT coalesce(string_agg(field || '=' || value, ',' ORDER BY field COLLATE "C"), '')
                        FROM streamkv.hgetall(k))
      WHEN 'zset' THEN (SELECT string_agg(member || '=' || score, ',' ORDER BY ord)
                        FROM streamkv.zrange(k, 0, -1) WITH ORDINALITY AS z(member, score, ord))
      WHEN 'MBbloom--' THEN (SELECT i.capacity || '/' || i.size || '/' || i.filters || '/' || i.items || '/'
                                    || coalesce(i.expansion::text, 'nonscaling') FROM streamkv.bf_info(k) i)
                        || '/' || (WITH RECURSIVE d(it, next, data) AS (
                                     SELECT 0::bigint, s.next_iter, s.data FROM streamkv.bf_scandump(k, 0) s
                                     UNION ALL
                                     SELECT d.next, s.next_iter, s.data FROM d, streamkv.bf_scandump(k, d.next) s
                                     WHERE d.next <> 0)
                                   SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY it)), 'hex')
                                   FROM d WHERE data IS NOT NULL)
      ELSE '?' END
    || '|' || CASE WHEN streamkv.ttl(k) >= 0 THEN 'ttl' ELSE 'nottl' END,
    E'\n' ORDER BY k COLLATE "C"), '')
FROM (SELECT k, streamkv.type(k) AS t FROM streamkv.keys('*') AS k) s};
}

sub sk_dump
{
	my ($node, $db) = @_;
	return $node->safe_psql($db // 'postgres', sk_dump_sql());
}

# The same text from a perl model: { key => { type => 'string'|'hash',
# value => bytes | { field => value }, ttl => 0|1 } }.
sub sk_model_dump
{
	my ($m) = @_;
	my @lines;
	for my $k (sort keys %$m)
	{
		my $e = $m->{$k};
		my $v;
		if ($e->{type} eq 'string')
		{
			$v = unpack('H*', $e->{value});
		}
		else
		{
			my $h = $e->{value};
			$v = join(',', map { "$_=$h->{$_}" } sort keys %$h);
		}
		push @lines, "$k|$e->{type}|$v|" . ($e->{ttl} ? 'ttl' : 'nottl');
	}
	return join("\n", @lines);
}

# is() for two dumps that reports only the differing lines (shortened):
# dumps can hold values of 100 kB.
sub sk_is_dump
{
	my ($got, $expected, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $ok = ok($got eq $expected, $name);
	if (!$ok)
	{
		my %g = map { $_ => 1 } split /\n/, $got;
		my %e = map { $_ => 1 } split /\n/, $expected;
		my $short = sub { length($_[0]) > 160 ? substr($_[0], 0, 160) . '...(' . length($_[0]) . ' chars)' : $_[0] };
		my @missing = grep { !$g{$_} } sort keys %e;
		my @extra = grep { !$e{$_} } sort keys %g;
		diag(sprintf('%d lines expected, %d got; %d missing, %d unexpected',
			scalar(keys %e), scalar(keys %g), scalar(@missing), scalar(@extra)));
		diag('missing:    ' . $short->($_)) for @missing[0 .. ($#missing < 19 ? $#missing : 19)];
		diag('unexpected: ' . $short->($_)) for @extra[0 .. ($#extra < 19 ? $#extra : 19)];
	}
	return $ok;
}

# Runs $sql expecting an error; returns the SQLSTATE (or 'none').
sub sk_sqlstate
{
	my ($node, $sql, $db) = @_;
	my ($ret, $out, $err) =
	  $node->psql($db // 'postgres', "\\set VERBOSITY verbose\n$sql");
	return 'none' if $ret == 0 && $err !~ /ERROR/;
	return $1 if $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
	return "unparsed: $err";
}

1;
