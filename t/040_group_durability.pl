# Consumer-group and share-group state is durable (issue 4): committed
# offsets (several groups, topics and partitions, with metadata), memberships
# (members, generation, assignments of groups of 2-3 members, a static
# member) and pending share-group records (acquired, acknowledged, released,
# rejected; delivery counts, consumers, lock deadlines) survive an immediate
# stop -- with no checkpoint since the changes, with a CHECKPOINT right
# before the stop, and with one in the middle of the changes -- and are the
# same on a streaming standby made from a base backup taken after the state
# was written (plus changes streamed after the backup), also after a restart
# of the standby. After promotion the state is the same and new operations
# work: a lock taken on the primary with a long lock_duration is still held
# (lock deadlines are wall-clock), a short one expires and the record is
# redelivered with delivery count 2, a stale consumer's ack returns 0, new
# members join with generation + 1, poll starts at the committed offsets, and
# a member with a session timeout shorter than the time since the standby
# loaded its groups still gets a full session timeout (heartbeats are not
# durable; the spec gives every member a full timeout after a promotion).
#
# Bursts of 5,000 commits make the groups store compact its chain (a snapshot
# of every group is rewritten once 4,096 operations have piled up): before a
# CHECKPOINT and an immediate stop, between a CHECKPOINT and an immediate stop
# (recovery replays the compaction), while the standby streams, and on the
# promoted node. A share group with auto_offset_reset 'latest' keeps its start
# across all of it; a deleted share group and a deleted consumer group stay
# deleted on the standby.
#
# Every state is compared twice: with a Perl model of what the operations
# must have done (spec in issue 4), and as a whole dump of groups(),
# committed(), lag(), members() and pending() (without the idle and
# last_heartbeat columns, which are time-based / not durable) plus the
# dead-letter topic, before and after.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use StreamkvTest qw(sk_is_dump sk_sqlstate);
use Test::More;
use Time::HiRes qw(time);

my $HOUR = 3600000;    # lock_duration_ms and session_timeout_ms that never run out during the test

# ---------------------------------------------------------------------------
# model
my %nparts = (t1 => 3, t2 => 2, sq => 2, sq_dlq => 1);
my %produced;    # topic => partition => records (offsets 0 .. n-1; values "topic:partition:offset")
my %commits;     # group => topic => partition => [offset, metadata or undef]
my %gen;         # consumer group with members => generation
my %members;     # group => member id => instance id or ''
my %sess;        # group => member id => session_timeout_ms
my %subs;        # group => [topics] (every member of a group subscribes to the same topics here)
my %share;       # share group => { topic, long (lock >= 1 h) }
my %rec;         # share group => "p/o" => { st => held|avail|acked|gone, c => consumer, d => deliveries, exp => lock known expired }
my @dlq;         # expected records of sq_dlq, in order: [partition, offset, deliveries]

sub lit
{
	my ($s) = @_;
	return 'NULL' unless defined $s;
	$s =~ s/'/''/g;
	return "'$s'";
}

sub psql1
{
	my ($node, $sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

sub produce_n
{
	my ($node, $t, $p, $n) = @_;
	my $b = $produced{$t}{$p} // 0;
	my $e = $b + $n - 1;
	my $got = psql1($node, qq{SELECT min(r."offset") || '-' || max(r."offset") FROM generate_series($b, $e) i,
		LATERAL streamkv.produce('$t', convert_to('$t:$p:' || i, 'UTF8'), partition => $p) r});
	die "produce to $t/$p returned offsets $got, expected $b-$e" unless $got eq "$b-$e";
	$produced{$t}{$p} = $b + $n;
}

sub commit_offset
{
	my ($node, $g, $t, $p, $o, $meta, $member, $generation) = @_;
	my $args = join(', ', lit($g), lit($t), $p, $o, lit($meta));
	$args .= ', member => ' . lit($member) if defined $member;
	$args .= ", generation => $generation" if defined $generation;
	psql1($node, "SELECT streamkv.commit($args)");
	$commits{$g}{$t}{$p} = [ $o, $meta ];
}

sub parse_assignment
{
	my ($txt) = @_;
	my @tp;
	push @tp, "$1/$2" while $txt =~ /\(([^,()]+),(\d+)\)/g;
	return @tp;
}

# join_group(node, group, [topics], member => id, instance => id, strategy => s, session => ms)
# Expected generation (spec): a new member rebalances (+1); a rejoin with the
# same subscription and a static member replaced through its instance id do not.
sub join_group
{
	my ($node, $g, $topics, %o) = @_;
	$members{$g} //= {};
	my $strategy = $o{strategy} // 'range';
	my $sql = sprintf(q{SELECT member_id, generation_id, assignment FROM streamkv.join(%s, ARRAY[%s]::text[],
		member => %s, strategy => %s, session_timeout_ms => %d, instance_id => %s)},
		lit($g), join(',', map { lit($_) } @$topics), lit($o{member}), lit($strategy), $o{session} // $HOUR, lit($o{instance}));
	my ($mid, $generation, $asg) = split /\|/, psql1($node, $sql);
	my $label = "join $g " . ($o{member} // $o{instance} // 'new member');
	my $expect = $gen{$g} // 0;
	my $replaced;
	if (defined $o{member} && exists $members{$g}{ $o{member} })
	{
		is($mid, $o{member}, "$label: rejoin keeps the member id");
	}
	elsif (defined $o{instance} && (($replaced) = grep { $members{$g}{$_} eq $o{instance} } keys %{ $members{$g} }))
	{
		isnt($mid, $replaced, "$label: the static member gets a new member id");
		delete $members{$g}{$replaced};
		delete $sess{$g}{$replaced};
	}
	else
	{
		$expect++;
		if (defined $o{member})
		{
			is($mid, $o{member}, "$label: the given member id is used");
		}
		else
		{
			my $prefix = $o{instance} // 'member';
			like($mid, qr/^\Q$prefix\E-[0-9a-f]/, "$label: generated member id $mid");
		}
	}
	is($generation, $expect, "$label: generation $expect");
	$gen{$g} = $expect;
	$members{$g}{$mid} = $o{instance} // '';
	$sess{$g}{$mid} = $o{session} // $HOUR;
	$subs{$g} = [ sort @$topics ];
	return ($mid, $generation, [ parse_assignment($asg // '') ]);
}

sub leave_group
{
	my ($node, $g, $m) = @_;
	my $was = exists $members{$g}{$m};
	is(psql1($node, 'SELECT streamkv.leave(' . lit($g) . ', ' . lit($m) . ')'), $was ? 't' : 'f',
		"leave $g $m returns " . ($was ? 'true' : 'false'));
	if ($was)
	{
		delete $members{$g}{$m};
		delete $sess{$g}{$m};
		$gen{$g}++;
	}
}

sub reset_offsets
{
	my ($node, $g, $t, $to) = @_;
	my $got = psql1($node, "SELECT partition, \"offset\" FROM streamkv.reset_offsets(" . lit($g) . ", " . lit($t) . ", $to) ORDER BY 1");
	return { map { split /\|/ } split /\n/, $got };
}

sub rec_state
{
	my ($g, $p, $o) = @_;
	return $rec{$g}{"$p/$o"} // { st => 'new', d => 0 };
}

# What acquire may hand out: never delivered, released, or held with a lock known to have expired.
sub available
{
	my ($g) = @_;
	my $t = $share{$g}{topic};
	my @a;
	for my $p (0 .. $nparts{$t} - 1)
	{
		for my $o (($share{$g}{start}{$p} // 0) .. ($produced{$t}{$p} // 0) - 1)
		{
			my $s = rec_state($g, $p, $o);
			push @a, "$p/$o" if $s->{st} eq 'new' || $s->{st} eq 'avail' || ($s->{st} eq 'held' && $s->{exp});
		}
	}
	return @a;
}

# acquire(node, group, consumer, max, expect_all, label, acks): checks every
# record handed out against the model (available, delivery count + 1, right
# value); with expect_all, that exactly the available records were handed out.
# acks ([[p, o], ...]) are carried by the acquire: the ones the consumer holds
# are acknowledged first.
sub acquire
{
	my ($node, $g, $c, $n, $expect_all, $label, $acks) = @_;
	$label //= "acquire $g $c $n";
	my $ackargs = '';
	if ($acks)
	{
		$ackargs = ", 0, '{" . join(',', map { $_->[0] } @$acks) . "}', '{" . join(',', map { $_->[1] } @$acks) . "}'";
		for my $a (@$acks)
		{
			my $s = rec_state($g, @$a);
			$rec{$g}{"$a->[0]/$a->[1]"}{st} = 'acked' if $s->{st} eq 'held' && $s->{c} eq $c;
		}
	}
	my @avail = available($g);
	my $t = $share{$g}{topic};
	my $out = psql1($node, qq{SELECT partition, "offset", delivery_count, convert_from(value, 'UTF8'), topic
		FROM streamkv.acquire('$g', '$c', $n$ackargs) ORDER BY 1, 2});
	my (@got, $bad);
	$bad = 0;
	for my $line (split /\n/, $out)
	{
		my ($p, $o, $d, $v, $topic) = split /\|/, $line;
		my $s = rec_state($g, $p, $o);
		my $ok = ($s->{st} eq 'new' || $s->{st} eq 'avail' || ($s->{st} eq 'held' && $s->{exp}))
		  && $d == $s->{d} + 1 && $v eq "$t:$p:$o" && $topic eq $t;
		if (!$ok)
		{
			$bad++;
			diag "$label: got $p/$o delivery $d value $v topic $topic; model: $s->{st} deliveries $s->{d}"
			  . ($s->{c} ? " held by $s->{c}" : '')
			  if $bad <= 10;
		}
		$rec{$g}{"$p/$o"} = { st => 'held', c => $c, d => $d };
		push @got, [ $p, $o ];
	}
	is($bad, 0, "$label: " . scalar(@got) . ' records, each available, delivery count + 1, right record');
	cmp_ok(scalar(@got), '<=', $n, "$label: at most $n records");
	if ($expect_all)
	{
		is(join(' ', map { "$_->[0]/$_->[1]" } @got), join(' ', @avail),
			"$label: exactly the available records (" . scalar(@avail) . ')');
	}
	elsif (@avail >= $n)
	{
		is(scalar(@got), $n, "$label: $n records (" . scalar(@avail) . ' available)');
	}
	return \@got;
}

# settle(node, ack|release|reject, group, consumer, partition, [offsets]):
# the count is the number of offsets the consumer holds (others are ignored).
sub settle
{
	my ($node, $op, $g, $c, $p, $offs) = @_;
	my @held = grep { my $s = rec_state($g, $p, $_); $s->{st} eq 'held' && $s->{c} eq $c } @$offs;
	my $n = psql1($node, "SELECT streamkv.$op('$g', '$c', $p, ARRAY[" . join(',', @$offs) . ']::bigint[])');
	is($n, scalar(@held), "$op $g $c partition $p [@$offs]: $n (held " . scalar(@held) . ')');
	for my $o (@held)
	{
		my $s = $rec{$g}{"$p/$o"};
		if ($op eq 'ack') { $s->{st} = 'acked'; }
		elsif ($op eq 'release') { $s->{st} = 'avail'; delete $s->{c}; }
		else
		{
			$s->{st} = 'gone';
			push @dlq, [ $p, $o, $s->{d} ];
		}
	}
	return $n;
}

# settle_list(node, op, group, consumer, [[p, o], ...]): settle per partition
sub settle_list
{
	my ($node, $op, $g, $c, $pairs) = @_;
	my %byp;
	push @{ $byp{ $_->[0] } }, $_->[1] for @$pairs;
	settle($node, $op, $g, $c, $_, $byp{$_}) for sort keys %byp;
}

sub held_by
{
	my ($g, $c) = @_;
	return [ map { [ split m{/} ] } sort grep { $rec{$g}{$_}{st} eq 'held' && $rec{$g}{$_}{c} eq $c } keys %{ $rec{$g} } ];
}

# churn(node, n): n commits in one statement (group 'churn', topic t2,
# alternating partitions): enough operations for the groups store to compact.
my $churned = 0;
sub churn
{
	my ($node, $n) = @_;
	my ($a, $b) = ($churned + 1, $churned + $n);
	is(psql1($node, "SELECT count(streamkv.commit('churn', 't2', i % 2, i, 'churn ' || i)) FROM generate_series($a, $b) i"),
		$n, "$n commits in one statement");
	$churned = $b;
	$commits{churn}{t2}{ $b % 2 } = [ $b, "churn $b" ];
	$commits{churn}{t2}{ ($b - 1) % 2 } = [ $b - 1, 'churn ' . ($b - 1) ];
}

# ---------------------------------------------------------------------------
# checks

my $SNAPSHOT_SQL = q{
SET TimeZone = 'UTC';
SELECT 'groups', "group", type, state, generation, members, strategy, topics FROM streamkv.groups() ORDER BY 2;
SELECT 'committed', g."group", t.name, c.partition, c."offset", coalesce(c.metadata, '<null>'), c.committed_at
  FROM streamkv.groups() g CROSS JOIN streamkv.topics() t CROSS JOIN LATERAL streamkv.committed(g."group", t.name) c
 WHERE g.type = 'consumer' ORDER BY 2, 3, 4;
SELECT 'lag', g."group", l.topic, l.partition, l.committed, l.high_watermark, l.lag
  FROM streamkv.groups() g CROSS JOIN LATERAL streamkv.lag(g."group") l
 WHERE g.type = 'consumer' ORDER BY 2, 3, 4;
SELECT 'members', g."group", m.member, m.instance_id, m.session_timeout_ms, m.assignment
  FROM streamkv.groups() g CROSS JOIN LATERAL streamkv.members(g."group") m
 WHERE g.type = 'consumer' ORDER BY 2, 3;
SELECT 'pending', g."group", p.partition, p."offset", p.consumer, p.deliveries, p.locked_until
  FROM streamkv.groups() g CROSS JOIN LATERAL streamkv.pending(g."group") p
 WHERE g.type = 'share' ORDER BY 2, 3, 4;
SELECT 'dlq', f.partition, f."offset", f."timestamp", encode(f.key, 'hex'), encode(f.value, 'hex'), f.headers
  FROM streamkv.fetch('sq_dlq', 0, 0, 100000) f ORDER BY 2, 3;
SELECT 'topic', t.name, p.partition, p.log_start_offset, p.high_watermark
  FROM streamkv.topics() t CROSS JOIN LATERAL streamkv.partitions(t.name) p ORDER BY 2, 3;
};

sub snapshot
{
	my ($node) = @_;
	return psql1($node, $SNAPSHOT_SQL);
}

sub model_committed
{
	my @l;
	for my $g (sort keys %commits)
	{
		for my $t (sort keys %{ $commits{$g} })
		{
			for my $p (sort { $a <=> $b } keys %{ $commits{$g}{$t} })
			{
				my ($o, $m) = @{ $commits{$g}{$t}{$p} };
				push @l, join('|', $g, $t, $p, $o, $m // '<null>');
			}
		}
	}
	return join("\n", @l);
}

# The node's state against the model.
sub check_model
{
	my ($node, $label) = @_;

	sk_is_dump(psql1($node, q{SELECT g."group", t.name, c.partition, c."offset", coalesce(c.metadata, '<null>')
		  FROM streamkv.groups() g CROSS JOIN streamkv.topics() t CROSS JOIN LATERAL streamkv.committed(g."group", t.name) c
		 WHERE g.type = 'consumer' ORDER BY 1, 2, 3}),
		model_committed(), "$label: committed offsets and metadata as committed");

	# groups(): every group, its type, state; generation and member count of groups with members
	my @exp;
	my %all = map { $_ => 1 } keys %commits, keys %gen, keys %share;
	for my $g (sort keys %all)
	{
		if ($share{$g}) { push @exp, "$g|share|Stable||"; }
		elsif (keys %{ $members{$g} // {} })
		{
			push @exp, "$g|consumer|Stable|$gen{$g}|" . scalar(keys %{ $members{$g} });
		}
		else { push @exp, "$g|consumer|Empty||0"; }
	}
	is(psql1($node, q{SELECT "group", type, state,
			CASE WHEN type = 'consumer' AND members > 0 THEN generation::text ELSE '' END,
			CASE WHEN type = 'consumer' THEN members::text ELSE '' END
		  FROM streamkv.groups() ORDER BY 1}),
		join("\n", @exp), "$label: groups(): names, types, states, generations, member counts");

	# members(): ids, instance ids, session timeouts; assignments disjoint and covering the subscription
	for my $g (sort keys %members)
	{
		my $out = psql1($node, 'SELECT member, coalesce(instance_id, \'\'), session_timeout_ms, assignment FROM streamkv.members(' . lit($g) . ') ORDER BY 1');
		my (@got, %owner, $dup);
		$dup = 0;
		for my $line (split /\n/, $out)
		{
			my ($m, $inst, $st, $asg) = split /\|/, $line;
			push @got, "$m|$inst|$st";
			for my $tp (parse_assignment($asg))
			{
				$dup++ if exists $owner{$tp};
				$owner{$tp} = $m;
			}
		}
		is(join("\n", @got), join("\n", map { "$_|$members{$g}{$_}|$sess{$g}{$_}" } sort keys %{ $members{$g} }),
			"$label: members of $g (ids, instance ids, session timeouts)");
		next unless keys %{ $members{$g} };
		my @want = map { my $t = $_; map { "$t/$_" } 0 .. $nparts{$t} - 1 } @{ $subs{$g} };
		is($dup, 0, "$label: $g: no partition is assigned twice");
		is(join(' ', sort keys %owner), join(' ', sort @want), "$label: $g: the assignments cover every subscribed partition");
	}

	# pending(): held records with their consumer and delivery count; acknowledged,
	# rejected and never delivered ones absent; with a 1-hour lock, exactly the held
	# records are locked into the future.
	for my $g (sort keys %share)
	{
		my $out = psql1($node, qq{SELECT partition, "offset", consumer, deliveries,
			(locked_until > now() + interval '30 minutes')::int FROM streamkv.pending('$g') ORDER BY 1, 2});
		my %pend;
		for my $line (split /\n/, $out)
		{
			my ($p, $o, $c, $d, $long) = split /\|/, $line;
			$pend{"$p/$o"} = { c => $c, d => $d, long => $long };
		}
		my $bad = 0;
		my $nheld = 0;
		my $complain = sub { $bad++; diag "$label: pending('$g'): $_[0]" if $bad <= 10; };
		for my $k (sort keys %{ $rec{$g} })
		{
			my $s = $rec{$g}{$k};
			my $r = $pend{$k};
			if ($s->{st} eq 'held')
			{
				$nheld++;
				if (!$r) { $complain->("$k held by $s->{c} (delivery $s->{d}) is missing"); }
				elsif ($r->{c} ne $s->{c} || $r->{d} != $s->{d}) { $complain->("$k: $r->{c} delivery $r->{d}, expected $s->{c} delivery $s->{d}"); }
				elsif ($share{$g}{long} && !$r->{long}) { $complain->("$k: lock of $s->{c} not 30 minutes into the future"); }
			}
			elsif ($s->{st} eq 'avail')
			{
				$complain->("$k was released but is locked into the future") if $r && $r->{long};
			}
			elsif ($r) { $complain->("$k is $s->{st} but listed"); }
		}
		for my $k (sort keys %pend)
		{
			$complain->("$k listed but never delivered") unless $rec{$g}{$k};
		}
		is($bad, 0, "$label: pending('$g') agrees ($nheld held)");
	}

	# dead letters: one record per rejection with its origin in headers
	my $out = psql1($node, q{SELECT f."offset", convert_from(f.value, 'UTF8'),
		(SELECT string_agg(h.key || '=' || coalesce(convert_from(h.value, 'UTF8'), 'NULL'), ',' ORDER BY h.key)
		   FROM unnest(f.headers) h WHERE h.key LIKE 'streamkv.dlq.%')
		FROM streamkv.fetch('sq_dlq', 0, 0, 100000) f ORDER BY 1});
	my $i = 0;
	is($out, join("\n", map { my ($p, $o, $d) = @$_; join('|', $i++, "sq:$p:$o",
		"streamkv.dlq.deliveries=$d,streamkv.dlq.group=sg,streamkv.dlq.offset=$o,streamkv.dlq.partition=$p,streamkv.dlq.reason=rejected,streamkv.dlq.topic=sq") } @dlq),
		"$label: dead-letter topic has the " . scalar(@dlq) . ' rejected records with their origin');
}

sub crash_restart
{
	my ($node, $label, $checkpoint) = @_;
	my $before = snapshot($node);
	psql1($node, 'CHECKPOINT') if $checkpoint;
	$node->stop('immediate');
	$node->start;
	sk_is_dump(snapshot($node), $before,
		"$label: after an immediate stop" . ($checkpoint ? ' right after a CHECKPOINT' : '') . ', the same groups, offsets, members, pending records');
	check_model($node, "$label, restarted");
}

# ---------------------------------------------------------------------------
# phase 1: state written, immediate stop with no checkpoint since
my $primary = topic_node('gprimary', 'synchronous_commit = on');
$primary->start;
my $P = $primary;
psql1($P, q{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('t1', 3);
	SELECT streamkv.create_topic('t2', 2);
	SELECT streamkv.create_topic('sq', 2);
	SELECT streamkv.create_topic('sq_dlq', 1);});
produce_n($P, 't1', $_, 20) for 0 .. 2;
produce_n($P, 't2', $_, 10) for 0 .. 1;
produce_n($P, 'sq', $_, 30) for 0 .. 1;

commit_offset($P, 'offsets-a', 't1', 0, 5, 'first');
commit_offset($P, 'offsets-a', 't1', 0, 7, q{it's {"json": 1} overwritten});
commit_offset($P, 'offsets-a', 't1', 1, 20, undef);
commit_offset($P, 'offsets-a', 't1', 2, 0, '');
commit_offset($P, 'offsets-a', 't2', 1, 9, 'm' x 300);
commit_offset($P, 'offsets-a', 't2', 0, 25, 'above the high watermark');
commit_offset($P, 'offsets-b', 't2', 0, 3, 'b');
my $r = reset_offsets($P, 'offsets-b', 't1', q{'latest'});
is_deeply($r, { 0 => 20, 1 => 20, 2 => 20 }, 'reset_offsets latest: every partition at the high watermark');
$commits{'offsets-b'}{t1}{$_} = [ 20, undef ] for 0 .. 2;
commit_offset($P, 'gdel', 't1', 0, 1, 'to be deleted after the backup');

# not transactional: a commit in a rolled-back transaction stays (and the group it created)
psql1($P, q{BEGIN; SELECT streamkv.commit('offsets-rb', 't1', 2, 4, 'rolled back'); ROLLBACK;});
$commits{'offsets-rb'}{t1}{2} = [ 4, 'rolled back' ];

my ($gm_a) = join_group($P, 'gm', [ 't1', 't2' ], member => 'gm-a');
my ($gm_b) = join_group($P, 'gm', [ 't1', 't2' ]);
my ($gm_s) = join_group($P, 'gm', [ 't1', 't2' ], instance => 'static-3');
join_group($P, 'gm', [ 't1', 't2' ], member => 'gm-a');    # rejoin, same subscription: same generation
join_group($P, 'gr', ['t1'], strategy => 'roundrobin', member => 'gr-1');
join_group($P, 'gr', ['t1'], strategy => 'roundrobin', member => 'gr-2', instance => 'gr-static');
commit_offset($P, 'gm', 't1', 0, 4, 'fenced', 'gm-a', 3);
is(sk_sqlstate($P, q{SELECT streamkv.commit('gm', 't1', 0, 99, NULL, 'gm-a', 2)}), '55000', 'a commit with a stale generation fails with 55000');
is(sk_sqlstate($P, q{SELECT streamkv.commit('gm', 't1', 0, 99, NULL, 'nobody', 3)}), '55000', 'a commit by a non-member fails with 55000');

psql1($P, qq{SELECT streamkv.create_share_group('sg', 'sq', lock_duration_ms => $HOUR, max_deliveries => 10,
	dead_letter_topic => 'sq_dlq', auto_offset_reset => 'earliest')});
$share{sg} = { topic => 'sq', long => 1 };
my $a1 = acquire($P, 'sg', 'c1', 12);
my $a2 = acquire($P, 'sg', 'c2', 12);
settle_list($P, 'ack', 'sg', 'c1', [ @$a1[ grep { $_ % 2 == 0 } 0 .. $#$a1 ] ]);
settle_list($P, 'release', 'sg', 'c2', [ @$a2[ 0 .. 3 ] ]);
# c2 acknowledging one of c1's records and one of its own: only its own counts
settle($P, 'ack', 'sg', 'c2', $a1->[1][0], [ $a1->[1][1], ($a2->[5][0] == $a1->[1][0] ? $a2->[5][1] : ()) ]);
acquire($P, 'sg', 'c3', 6);
psql1($P, q{SELECT streamkv.create_share_group('sgdel', 't1', lock_duration_ms => 3600000, auto_offset_reset => 'earliest')});
$share{sgdel} = { topic => 't1', long => 1 };
acquire($P, 'sgdel', 'd1', 7);
commit_offset($P, 'offsets-a', 't2', 1, 10, 'last of phase 1');

check_model($P, 'phase 1');
crash_restart($P, 'phase 1', 0);

# ---------------------------------------------------------------------------
# phase 2: more changes, CHECKPOINT, immediate stop
leave_group($P, 'gm', $gm_b);
leave_group($P, 'gm', 'nobody');
my ($gm_d) = join_group($P, 'gm', [ 't1', 't2' ], member => 'gm-d');
my $old_static = $gm_s;
($gm_s) = join_group($P, 'gm', [ 't1', 't2' ], instance => 'static-3');    # static member replaced
is(sk_sqlstate($P, "SELECT * FROM streamkv.heartbeat('gm', '$old_static')"), '55000', 'the replaced static member is no longer in the group (55000)');
is(sk_sqlstate($P, "SELECT * FROM streamkv.heartbeat('gm', 'gm-a', $gen{gm} - 1)"), '55000', 'heartbeat with a stale generation fails with 55000');
commit_offset($P, 'offsets-a', 't1', 1, 15, 'second');
commit_offset($P, 'gm', 't2', 1, 6, 'fenced 2', 'gm-d', $gen{gm});
# c1 acknowledges all it holds through its next acquire (plus one record of c2's, ignored)
acquire($P, 'sg', 'c1', 2, 0, 'acquire sg c1 carrying acks of all it holds',
	[ @{ held_by('sg', 'c1') }, held_by('sg', 'c2')->[0] ]);
acquire($P, 'sg', 'c2', 5);
settle_list($P, 'reject', 'sg', 'c3', [ held_by('sg', 'c3')->[0] ]);
# 'latest': only records produced after the group was created
psql1($P, q{SELECT streamkv.create_share_group('sgl', 'sq', lock_duration_ms => 3600000, auto_offset_reset => 'latest')});
$share{sgl} = { topic => 'sq', long => 1, start => { map { $_ => $produced{sq}{$_} } 0 .. 1 } };
acquire($P, 'sgl', 'l1', 1000, 1, 'acquire sgl right after creation: nothing');
churn($P, 5000);
crash_restart($P, 'phase 2', 1);

# ---------------------------------------------------------------------------
# phase 3: changes, CHECKPOINT, more changes, immediate stop
commit_offset($P, 'offsets-b', 't2', 1, 2, 'before the checkpoint');
settle_list($P, 'release', 'sg', 'c2', [ @{ held_by('sg', 'c2') }[ 0 .. 1 ] ]);
psql1($P, 'CHECKPOINT');
commit_offset($P, 'offsets-b', 't2', 1, 4, 'after the checkpoint');
churn($P, 5000);
join_group($P, 'gr', ['t1'], strategy => 'roundrobin', member => 'gr-3');
acquire($P, 'sg', 'c4', 1000, 1, 'acquire sg c4 everything available');
settle_list($P, 'reject', 'sg', 'c4', [ held_by('sg', 'c4')->[-1] ]);
crash_restart($P, 'phase 3', 0);

# after the restart nothing is available (everything is held with a 1-hour lock, acknowledged or rejected)
acquire($P, 'sg', 'c5', 1000, 1, 'acquire sg after restart: nothing available');
produce_n($P, 'sq', $_, 10) for 0 .. 1;
my $l = acquire($P, 'sgl', 'l1', 1000, 1, "acquire sgl: only the records produced after its creation");
is(scalar(@$l), 20, 'the latest share group got the 20 new records');
settle_list($P, 'ack', 'sgl', 'l1', [ @$l[ 0 .. 9 ] ]);
settle_list($P, 'release', 'sgl', 'l1', [ @$l[ 10 .. 12 ] ]);

# ---------------------------------------------------------------------------
# phase 4: a standby from a base backup taken now, changes streamed after it
$P->backup('gb');
psql1($P, q{SELECT streamkv.delete_group('gdel')});
delete $commits{gdel};
psql1($P, q{SELECT streamkv.delete_group('sgdel')});
delete $share{sgdel};
delete $rec{sgdel};
commit_offset($P, 'offsets-a', 't1', 2, 11, 'after the backup');
my ($gm_e) = join_group($P, 'gm', [ 't1', 't2' ], member => 'gm-e');
acquire($P, 'sg', 'c5', 8);
my $c4 = held_by('sg', 'c4');
settle_list($P, 'ack', 'sg', 'c4', [ @$c4[ 0 .. 4 ] ]);
settle_list($P, 'release', 'sg', 'c4', [ @$c4[ 5 .. 7 ] ]);

my $standby = PostgreSQL::Test::Cluster->new('gstandby');
$standby->init_from_backup($P, 'gb', has_streaming => 1);
$standby->start;
my $S = $standby;
$P->wait_for_catchup($S, 'replay', $P->lsn('insert'));
my $psnap = snapshot($P);
like($psnap, qr/^pending\|sg\|/m, 'the dump has pending records');
like($psnap, qr/^members\|gm\|/m, 'the dump has members');
like($psnap, qr/^committed\|offsets-a\|/m, 'the dump has committed offsets');
sk_is_dump(snapshot($S), $psnap, 'standby from a base backup: the same groups, offsets, members, pending records as the primary');
check_model($S, 'standby');

# writes are refused on the standby and change nothing
for my $sql (
	q{SELECT streamkv.commit('offsets-a', 't1', 0, 1)},
	q{SELECT * FROM streamkv.join('gm', ARRAY['t1', 't2'], member => 'gm-x', session_timeout_ms => 3600000)},
	q{SELECT streamkv.leave('gm', 'gm-a')},
	q{SELECT * FROM streamkv.reset_offsets('offsets-b', 't1', 'earliest')},
	q{SELECT streamkv.delete_group('offsets-b')},
	q{SELECT streamkv.create_share_group('nope', 'sq')},
	q{SELECT * FROM streamkv.acquire('sg', 'cx', 10)},
	q{SELECT streamkv.ack('sg', 'c5', 0, ARRAY[0, 1, 2, 30, 31]::bigint[])},
	q{SELECT streamkv.release('sg', 'c5', 0, ARRAY[30]::bigint[])},
	q{SELECT streamkv.reject('sg', 'c5', 0, ARRAY[30]::bigint[])})
{
	is(sk_sqlstate($S, $sql), '25006', "standby: $sql fails with 25006");
}
sk_is_dump(snapshot($S), $psnap, 'standby: unchanged after the refused writes');
$S->restart;
sk_is_dump(snapshot($S), $psnap, 'standby restarted: the same state');

# ---------------------------------------------------------------------------
# phase 5: more streamed changes, then promotion
my %gm_commit = ('t1/0' => 3, 't1/1' => 17, 't1/2' => 0, 't2/0' => 9, 't2/1' => 10);
for my $tp (sort keys %gm_commit)
{
	my ($t, $p) = split m{/}, $tp;
	commit_offset($P, 'gm', $t, $p, $gm_commit{$tp}, "gm $tp", 'gm-e', $gen{gm});
}
produce_n($P, 't2', $_, 4) for 0 .. 1;
psql1($P, q{SELECT streamkv.create_share_group('sg2', 't2', lock_duration_ms => 1500, max_deliveries => 10, auto_offset_reset => 'earliest')});
$share{sg2} = { topic => 't2', long => 0 };
acquire($P, 'sg2', 'short', 5);
acquire($P, 'sg', 'c5', 4);
churn($P, 5000);
commit_offset($P, 'gdel', 't2', 1, 1, 'a new group of the same name');
acquire($P, 'sgl', 'l2', 2);
# a member with a 15 s session timeout, kept alive on the primary by
# heartbeats (not logged) for longer than that: after the promotion it must
# still get a full session timeout
join_group($P, 'gs', ['t2'], member => 'gs-1', session => 15000);
$P->wait_for_catchup($S, 'replay', $P->lsn('insert'));
is(psql1($S, q{SELECT member FROM streamkv.members('gs')}), 'gs-1', 'the standby has the member with the short session');
my $hb_end = time() + 17;
while (time() < $hb_end)
{
	psql1($P, q{SELECT generation_id FROM streamkv.heartbeat('gs', 'gs-1')});
	sleep 1;
}
$P->wait_for_catchup($S, 'replay', $P->lsn('insert'));
$psnap = snapshot($P);
sk_is_dump(snapshot($S), $psnap, 'standby after streaming: the same state as the primary');
check_model($S, 'standby after streaming');

$P->stop('fast');
$S->promote;
$S->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'promotion did not finish';
is(psql1($S, q{SELECT member FROM streamkv.members('gs')}), 'gs-1',
	'promoted: the member whose session timeout is shorter than the time since the standby loaded the groups is still there');
sk_is_dump(snapshot($S), $psnap, 'promoted standby: the same state as the primary had');
check_model($S, 'promoted');
leave_group($S, 'gs', 'gs-1');

# locks taken on the primary with a 1-hour lock_duration are still held:
# another consumer gets only the available records, the holder can ack
acquire($S, 'sg', 'c6', 1000, 1, 'promoted: acquire sg c6 everything available');
settle_list($S, 'ack', 'sg', 'c5', held_by('sg', 'c5'));
settle_list($S, 'release', 'sg', 'c6', held_by('sg', 'c6'));
acquire($S, 'sg', 'c7', 1000, 1, 'promoted: released records are redelivered');

# the 1.5 s locks of sg2 run out (wall clock): redelivered with delivery count 2,
# and the stale consumer's ack does nothing
ok($S->poll_query_until('postgres', q{SELECT count(*) = 5 AND bool_and(locked_until < now()) FROM streamkv.pending('sg2')}),
	'promoted: the short locks taken on the primary expire');
my $short = held_by('sg2', 'short');
# an expired lock nobody re-acquired still counts as held
settle_list($S, 'ack', 'sg2', 'short', [ shift @$short ]);
$rec{sg2}{"$_->[0]/$_->[1]"}{exp} = 1 for @$short;
acquire($S, 'sg2', 'other', 1000, 1, 'promoted: acquire sg2 other gets the expired records again and the rest');
is(scalar(grep { $rec{sg2}{"$_->[0]/$_->[1]"}{d} == 2 } @$short), 4, 'promoted: the expired records have delivery count 2');
settle_list($S, 'ack', 'sg2', 'short', $short);
settle_list($S, 'ack', 'sg2', 'other', held_by('sg2', 'other'));

# consumer groups: a new member rebalances, heartbeats and fenced commits work,
# poll starts at the committed offsets
my ($gm_f) = join_group($S, 'gm', [ 't1', 't2' ], member => 'gm-f');
my $hb = psql1($S, "SELECT member_id, generation_id, assignment FROM streamkv.heartbeat('gm', 'gm-a', $gen{gm})");
my $ma = psql1($S, q{SELECT member, assignment FROM streamkv.members('gm') WHERE member = 'gm-a'});
my ($hb_m, $hb_g, $hb_asg) = split /\|/, $hb;
is("$hb_m|$hb_g", "gm-a|$gen{gm}", 'promoted: heartbeat returns the current generation');
is($hb_asg, (split /\|/, $ma)[1], 'promoted: heartbeat returns the assignment members() shows');
commit_offset($S, 'offsets-a', 't1', 0, 8, 'on the promoted node');
commit_offset($S, 'gm', 't2', 0, 10, 'fenced on the promoted node', 'gm-f', $gen{gm});
$gm_commit{'t2/0'} = 10;
my @asg = parse_assignment($hb_asg);
ok(@asg > 0, 'gm-a has partitions');
# one session: a few polls in a row (each continues where the last ended)
my $poll = "streamkv.poll('gm', 'gm-a', 10000, 0, $gen{gm})";
my $polled = psql1($S, "CREATE TEMP TABLE polled AS SELECT * FROM $poll;\n"
	  . join('', map { "INSERT INTO polled SELECT * FROM $poll;\n" } 1 .. 4)
	  . q{SELECT topic || '/' || partition, min("offset"), max("offset"), count(*) FROM polled GROUP BY 1 ORDER BY 1});
my @want;
for my $tp (sort @asg)
{
	my ($t, $p) = split m{/}, $tp;
	my $hwm = $produced{$t}{$p};
	push @want, join('|', $tp, $gm_commit{$tp}, $hwm - 1, $hwm - $gm_commit{$tp}) if $gm_commit{$tp} < $hwm;
}
is($polled, join("\n", @want), 'promoted: poll returns the assigned partitions from the committed offsets to the high watermark');

churn($S, 5000);
check_model($S, 'promoted, after new operations');
crash_restart($S, 'promoted node', 0);

$S->stop;
done_testing();
