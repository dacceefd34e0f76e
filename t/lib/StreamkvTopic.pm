# Helpers for the topic TAP tests (t/03x_topic_*.pl).
package StreamkvTopic;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

our @EXPORT = qw(topic_node dump_topic topic_parts start_psql_script count_lines
  wait_lines value_hex id_of_hex);

# topic_node(name, conf lines...): an initialised (not started) node with
# streamkv preloaded and wal_consistency_checking = 'streamkv'.
sub topic_node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => 1, extra => [ '--encoding=UTF8', '--no-locale' ]);
	$node->append_conf('postgresql.conf', join("\n",
		"shared_preload_libraries = 'streamkv'",
		"wal_consistency_checking = 'streamkv'",
		"log_statement = none",
		@conf) . "\n");
	return $node;
}

# dump_topic(node, topic): { partition => [ [offset, hex value], ... ] } of
# every readable record (log start to high watermark).
sub dump_topic
{
	my ($node, $topic) = @_;
	my $out = $node->safe_psql('postgres', qq{
		SELECT f.partition, f."offset", coalesce(encode(f.value, 'hex'), 'NULL')
		  FROM streamkv.partitions('$topic') p,
		       LATERAL streamkv.fetch('$topic', p.partition, p.log_start_offset, 100000000) f
		 ORDER BY 1, 2});
	my %d;
	for my $line (split /\n/, $out)
	{
		my ($p, $o, $h) = split /\|/, $line;
		push @{ $d{$p} }, [ $o, $h ];
	}
	return \%d;
}

# topic_parts(node, topic): { partition => { log_start_offset, high_watermark, log_end_offset, records } }
sub topic_parts
{
	my ($node, $topic) = @_;
	my $out = $node->safe_psql('postgres', qq{
		SELECT partition, log_start_offset, high_watermark, log_end_offset, records, bytes
		  FROM streamkv.partitions('$topic') ORDER BY 1});
	my %r;
	for my $line (split /\n/, $out)
	{
		my ($p, $ls, $hwm, $leo, $n, $b) = split /\|/, $line;
		$r{$p} = { log_start => $ls, hwm => $hwm, log_end => $leo, records => $n, bytes => $b };
	}
	return \%r;
}

# start_psql_script(node, script file, stdout file): psql -f in the
# background; returns the IPC::Run harness.
sub start_psql_script
{
	my ($node, $script, $outfile) = @_;
	my @cmd = ($node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1',
		'-d', $node->connstr('postgres'), '-f', $script);
	return IPC::Run::start(\@cmd, '<', \undef, '>', $outfile, '2>', "$outfile.err");
}

sub count_lines
{
	my ($file) = @_;
	open my $fh, '<', $file or return 0;
	my $n = 0;
	$n++ while <$fh>;
	close $fh;
	return $n;
}

# wait_lines(file, n, seconds): wait until file has n lines (or time is up).
sub wait_lines
{
	my ($file, $n, $secs) = @_;
	my $end = time() + $secs;
	while (time() < $end)
	{
		return 1 if count_lines($file) >= $n;
		usleep(20_000);
	}
	return 0;
}

# value_hex(id, nbytes): hex of "id:" followed by nbytes pseudo-random bytes.
sub value_hex
{
	my ($id, $n) = @_;
	my $bytes = $id . ':' . join('', map { chr(int(rand(256))) } 1 .. $n);
	return unpack('H*', $bytes);
}

# id_of_hex(hex): the id prefix of a value made by value_hex.
sub id_of_hex
{
	my ($hex) = @_;
	return undef if $hex eq 'NULL';
	my $b = pack('H*', substr($hex, 0, 80));
	return $b =~ /^([^:]*):/ ? $1 : undef;
}

1;
