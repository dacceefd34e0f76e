# Privileges (issue 14, item 1) across a standby, a restart and pg_dump:
# a grant made on the primary holds on the standby, also for a session that
# was open before it (the cached answer is invalidated by redo); a revoke
# reaches it the same way; grants survive a restart; pg_dump | psql carries
# them into a new database.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = sk_node('aclprimary', '', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION streamkv;
	CREATE ROLE skv_reader LOGIN;
	GRANT USAGE ON SCHEMA streamkv TO skv_reader;
	SELECT streamkv.set('acl:k', 'v');
	SELECT streamkv.create_topic('acl_t');
	SELECT streamkv.produce('acl_t', 'r1');
});
$primary->backup('aclbackup');
my $standby = sk_new_node('aclstandby');
$standby->init_from_backup($primary, 'aclbackup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

my $try = sub {
	my ($node, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql,
		extra_params => [ '-U', 'skv_reader' ]);
	return $ret == 0 ? "ok:$out" : ($err =~ /permission denied/ ? 'denied' : "error:$err");
};

is($try->($standby, "SELECT streamkv.get('acl:k')"), 'denied', 'standby: no grant, read denied');
my $sess = $standby->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'skv_reader' ]);
my ($out, $err);
$out = $sess->query("SELECT streamkv.get('acl:k')");
like($sess->{stderr}, qr/permission denied/, 'standby session: denied before the grant');

$primary->safe_psql('postgres', q{
	SELECT streamkv.acl_grant('keyspace', NULL, 'read', 'skv_reader');
	SELECT streamkv.acl_grant('topic', 'acl_t', 'consume', 'skv_reader');
});
$primary->wait_for_catchup($standby);
is($try->($standby, "SELECT streamkv.get('acl:k')"), 'ok:v', 'standby: the grant replicated, read allowed');
is($try->($standby, "SELECT count(*) FROM streamkv.fetch('acl_t', 0, 0)"), 'ok:1',
	'standby: consume on the topic allowed');
$sess->{stderr} = '';
is($sess->query("SELECT streamkv.get('acl:k')"), 'v',
	'standby session open before the grant sees it (cache invalidated by redo)');
is($try->($standby, "SELECT streamkv.set('acl:k', 'w')"), 'denied',
	'standby: write still denied (privilege checked before read-only)');

$primary->safe_psql('postgres', "SELECT streamkv.acl_revoke('keyspace', NULL, 'read', 'skv_reader')");
$primary->wait_for_catchup($standby);
$sess->{stderr} = '';
$sess->query("SELECT streamkv.get('acl:k')");
like($sess->{stderr}, qr/permission denied/, 'standby session: the revoke reached it');
$sess->quit;

# a restart keeps grants
$primary->restart;
is($try->($primary, "SELECT count(*) FROM streamkv.fetch('acl_t', 0, 0)"), 'ok:1',
	'after a restart the topic grant holds');
is($try->($primary, "SELECT streamkv.get('acl:k')"), 'denied', 'and the revoke too');

# pg_dump | psql carries the grants
my $dump = $primary->data_dir . '/../acl.sql';
$primary->command_ok([ 'pg_dump', '-d', $primary->connstr('postgres'), '-f', $dump ], 'pg_dump');
$primary->safe_psql('postgres', 'CREATE DATABASE aclcopy');
$primary->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $primary->connstr('aclcopy'), '-f', $dump ],
	'restore into a new database');
is($primary->safe_psql('aclcopy', 'SELECT string_agg(object_type || coalesce(object_name, \'-\') || role || privilege, \',\' ORDER BY 1) FROM streamkv.privileges'),
	$primary->safe_psql('postgres', 'SELECT string_agg(object_type || coalesce(object_name, \'-\') || role || privilege, \',\' ORDER BY 1) FROM streamkv.privileges'),
	'the restored database has the same grants');
my ($ret, $o, $e) = $primary->psql('aclcopy', "SELECT count(*) FROM streamkv.fetch('acl_t', 0, 0)",
	extra_params => [ '-U', 'skv_reader' ]);
is("$ret $o", '0 1', 'the reader may consume the restored topic there');
($ret, $o, $e) = $primary->psql('aclcopy', "SELECT streamkv.get('acl:k')",
	extra_params => [ '-U', 'skv_reader' ]);
like($e, qr/permission denied/, 'and the revoked read stays revoked there');

ok(!$standby->log_contains('TRAP:') && !$primary->log_contains('TRAP:'), 'no failed assertion in the logs');
$standby->stop;
$primary->stop;
done_testing();
