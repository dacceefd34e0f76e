# A throwaway redis-server for the differential TAP tests: started on a free
# loopback port in 6390-6399 in a temporary directory, stopped at exit.
package StreamkvRedis;

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET;

our @EXPORT = qw(start_redis);

my $redis_server = '/usr/bin/redis-server';
my @pids;

sub free_port
{
	for my $p (6390 .. 6399)
	{
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $p, Proto => 'tcp', ReuseAddr => 0);
		if ($s) { close $s; return $p; }
	}
	die 'no free port in 6390-6399';
}

# start_redis(extra arguments...) -> (port, directory)
sub start_redis
{
	my @extra = @_;
	my $dir = tempdir(CLEANUP => 1);
	my $port = free_port();
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open STDOUT, '>', "$dir/redis.log";
		open STDERR, '>&', \*STDOUT;
		exec($redis_server, '--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
			'--dir', $dir, map { s/\@DIR\@/$dir/r } @extra) or die "exec: $!";
	}
	push @pids, $pid;
	for (1 .. 100)
	{
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
		if ($s) { close $s; return ($port, $dir); }
		select(undef, undef, undef, 0.1);
	}
	die "redis-server did not start on port $port";
}

END { for my $pid (@pids) { kill 'TERM', $pid; waitpid($pid, 0); } }

1;
