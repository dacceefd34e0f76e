# Random crashes under a concurrent writer, 20 rounds. In each round a psql
# session (synchronous_commit = on) issues random keyspace operations one at
# a time; every operation whose reply came back is acknowledged and applied
# to a perl model. After a random delay the server is stopped in immediate
# mode while the writer is busy. After restart the keyspace must equal the
# model of all acknowledged operations; the one operation that was in flight
# when the server died may or may not have applied (both are accepted for
# that operation only).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Storable qw(dclone);
use Time::HiRes qw(time usleep);

my $rounds = $ENV{STREAMKV_CRASH_ROUNDS} // 20;
my $seed = $ENV{STREAMKV_CRASH_SEED} // 4242;
srand($seed);
note "seed $seed";

my $node = sk_node('rcrash', "restart_after_crash = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

my %model;
my @skeys = map { "s$_" } 0 .. 19;
my @hkeys = map { "h$_" } 0 .. 9;
my @fields = qw(a b c d);

# One random operation: [ sql, sub applying it to a model ]. Strings and
# hashes use disjoint keys, so every operation succeeds.
sub random_op
{
	my ($n) = @_;
	my $x = rand();
	if ($x < 0.30)
	{
		my ($k, $v) = ($skeys[ rand @skeys ], "v$n");
		return ("streamkv.set('$k', '$v')",
			sub { $_[0]{$k} = { type => 'string', value => $v, ttl => 0 } });
	}
	if ($x < 0.40)
	{
		my $k = $skeys[ rand @skeys ];
		return ("streamkv.set('$k', 'x$n', keepttl => true)",
			sub { my $t = $_[0]{$k} && $_[0]{$k}{ttl}; $_[0]{$k} = { type => 'string', value => "x$n", ttl => $t ? 1 : 0 } });
	}
	if ($x < 0.50)
	{
		my $k = $skeys[ rand @skeys ];
		return ("streamkv.append('$k', '.$n')",
			sub { my $e = $_[0]{$k} //= { type => 'string', value => '', ttl => 0 }; $e->{value} .= ".$n" });
	}
	if ($x < 0.58)
	{
		my $k = "c" . int(rand(5));
		return ("streamkv.incrby('$k', $n)",
			sub { my $e = $_[0]{$k} //= { type => 'string', value => 0, ttl => 0 }; $e->{value} += $n });
	}
	if ($x < 0.72)
	{
		my ($k, $f) = ($hkeys[ rand @hkeys ], $fields[ rand @fields ]);
		return ("streamkv.hset('$k', '$f', '$n')",
			sub { my $e = $_[0]{$k} //= { type => 'hash', value => {}, ttl => 0 }; $e->{value}{$f} = $n });
	}
	if ($x < 0.78)
	{
		my ($k, $f) = ($hkeys[ rand @hkeys ], $fields[ rand @fields ]);
		return ("streamkv.hdel('$k', '$f')",
			sub {
				my $e = $_[0]{$k} or return;
				delete $e->{value}{$f};
				delete $_[0]{$k} unless %{ $e->{value} };
			});
	}
	if ($x < 0.84)
	{
		my $k = (@skeys, @hkeys)[ rand(@skeys + @hkeys) ];
		return ("streamkv.expire('$k', 100000)", sub { $_[0]{$k}{ttl} = 1 if $_[0]{$k} });
	}
	if ($x < 0.88)
	{
		my $k = (@skeys, @hkeys)[ rand(@skeys + @hkeys) ];
		return ("streamkv.persist('$k')", sub { $_[0]{$k}{ttl} = 0 if $_[0]{$k} });
	}
	if ($x < 0.94)
	{
		my $k = (@skeys, @hkeys)[ rand(@skeys + @hkeys) ];
		return ("streamkv.del('$k')", sub { delete $_[0]{$k} });
	}
	# MSET is atomic: after a crash in flight both keys or neither
	my ($k1, $k2) = ($skeys[ rand @skeys ], $skeys[ rand @skeys ]);
	return ("streamkv.mset('$k1', 'm$n', '$k2', 'n$n')",
		sub {
			$_[0]{$k1} = { type => 'string', value => "m$n", ttl => 0 };
			$_[0]{$k2} = { type => 'string', value => "n$n", ttl => 0 };
		});
}

my $opno = 0;
my $total_acked = 0;
my $t_start = time;
for my $round (1 .. $rounds)
{
	my ($in, $out, $err) = ('', '', '');
	my $psql = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-f', '-' ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout(60));
	$in .= "SET synchronous_commit = on;\n";

	# the crash comes from another process after a random delay
	my $delay = 0.2 + rand(0.8);
	my $stopper = IPC::Run::start(
		[ 'sh', '-c', sprintf('sleep %.3f; pg_ctl -D %s -m immediate stop', $delay, $node->data_dir) ],
		'>', \my $sout, '2>', \my $serr);

	my ($inflight, $acked) = (undef, 0);
	while (1)
	{
		$opno++;
		my ($sql, $apply) = random_op($opno);
		$inflight = $apply;
		$in .= "SELECT 'ack:$opno:' || ($sql)::text;\n";
		my $ok = eval {
			$psql->pump until $out =~ /^ack:$opno:/m;
			1;
		};
		last unless $ok;
		$apply->(\%model);
		$inflight = undef;
		$acked++;
	}
	eval { $psql->finish };
	$stopper->finish;
	$node->stop('immediate', fail_ok => 1);    # already stopped: records that
	$total_acked += $acked;

	my $with = dclone(\%model);
	$inflight->($with) if $inflight;
	my $expect_without = sk_model_dump(\%model);
	my $expect_with = sk_model_dump($with);

	$node->start;
	my $got = sk_dump($node);
	if ($got eq $expect_without)
	{
		pass("round $round: $acked acknowledged ops present (in-flight op $opno not applied)");
	}
	elsif ($got eq $expect_with)
	{
		pass("round $round: $acked acknowledged ops present (in-flight op $opno applied)");
		%model = %$with;
	}
	else
	{
		fail("round $round: state after the crash equals the model of the acknowledged ops");
		diag("last op $opno; psql stderr: $err");
		sk_is_dump($got, $expect_without, "round $round: detail (without the in-flight op)");
		last;
	}
}
note sprintf('%d rounds, %d acknowledged operations, %.1f s', $rounds, $total_acked, time - $t_start);
ok($total_acked > 0, "operations were acknowledged ($total_acked)");
ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');
$node->stop;
done_testing();
