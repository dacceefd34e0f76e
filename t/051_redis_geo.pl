# Differential test against a real redis-server: geo_score equals the score
# GEOADD stores, geo_decode_score equals GEOPOS to 1e-12 and geo_distance
# equals GEODIST to its 4 printed decimals, for 10,000 random points (plus
# edge points at Redis's latitude limits, the antimeridian and cell edges).
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $redis_server = '/usr/bin/redis-server';
my $python = '/usr/bin/python3';
plan skip_all => 'redis-server not installed' unless -x $redis_server;
plan skip_all => 'python3-redis or python3-psycopg2 not installed'
  unless system($python, '-c', 'import redis, psycopg2') == 0;

# a free loopback port in 6390-6399
sub free_port
{
	for my $p (6390 .. 6399)
	{
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $p, Proto => 'tcp', ReuseAddr => 0);
		if ($s) { close $s; return $p; }
	}
	die 'no free port in 6390-6399';
}

my $dir = tempdir(CLEANUP => 1);
my $port = free_port();
my $redis_pid;

sub start_redis
{
	my @extra = @_;
	$redis_pid = fork();
	die "fork: $!" unless defined $redis_pid;
	if ($redis_pid == 0)
	{
		open STDOUT, '>', "$dir/redis.log";
		open STDERR, '>&', \*STDOUT;
		exec($redis_server, '--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
			'--dir', $dir, @extra) or die "exec: $!";
	}
	for (1 .. 100)
	{
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
		if ($s) { close $s; return; }
		select(undef, undef, undef, 0.1);
	}
	die "redis-server did not start on port $port";
}
END { if ($redis_pid) { kill 'TERM', $redis_pid; waitpid($redis_pid, 0); } }

start_redis();

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
