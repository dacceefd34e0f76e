# Packaging (issue 14, item 5): the checkout builds a Debian binary package
# postgresql-15-streamkv with dpkg-buildpackage; unpacked with dpkg -x over a
# private copy of PostgreSQL 15 it is what a server loads: CREATE EXTENSION,
# a produce and a set survive a restart.  META.json (PGXN) and
# debian/changelog carry the control file's version.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTest;
use Test::More;

my $repo = "$FindBin::RealBin/..";

# ---- versions ----
my ($ctl_version) = slurp_file("$repo/streamkv.control") =~ /^default_version\s*=\s*'([^']+)'/m;
ok(defined $ctl_version, "the control file names version $ctl_version");
my $meta = slurp_file("$repo/META.json");
my ($meta_version) = $meta =~ /"provides"\s*:\s*\{\s*"streamkv"\s*:\s*\{[^}]*"version"\s*:\s*"([^"]+)"/s;
is($meta_version, "$ctl_version.0", 'META.json provides streamkv at the control file\'s version (semver)');
like($meta, qr/"file"\s*:\s*"streamkv--\Q$ctl_version\E\.sql"/, 'META.json names the install script');
my ($deb_version) = slurp_file("$repo/debian/changelog") =~ /^streamkv \(([^)]+)\)/;
is($deb_version, $ctl_version, 'debian/changelog is at the control file\'s version');

# ---- build ----
my $work = PostgreSQL::Test::Utils::tempdir('debian');
my $src = "$work/src/streamkv";
make_path($src);
# the checkout without build products, scratch clusters or git metadata
my $tar = "tar -C '$repo' --exclude=./.git --exclude=./.pgrun --exclude=./results --exclude=./tmp_check "
  . "--exclude='*.o' --exclude='*.bc' --exclude='*.so' --exclude='*.d' -cf - . | tar -C '$src' -xf -";
is(system('sh', '-c', $tar), 0, 'the source is copied');
my $blog = "$work/build.log";
my $rc = system('sh', '-c', "cd '$src' && dpkg-buildpackage -b -us -uc >'$blog' 2>&1");
is($rc, 0, 'dpkg-buildpackage -b -us -uc builds') or diag(slurp_file($blog));
my $deb = "$work/src/postgresql-15-streamkv_${ctl_version}_" . `dpkg --print-architecture` =~ s/\s+//gr . '.deb';
ok(-s $deb, "the package is $deb");
my $list = `dpkg-deb -c '$deb'`;
like($list, qr{\./usr/lib/postgresql/15/lib/streamkv\.so$}m, 'it holds the library');
like($list, qr{\./usr/share/postgresql/15/extension/streamkv\.control$}m, 'it holds the control file');
like($list, qr{\./usr/share/postgresql/15/extension/streamkv--\Q$ctl_version\E\.sql$}m, 'it holds the install script');
like(`dpkg-deb -f '$deb' Depends`, qr/postgresql-15/, 'it depends on postgresql-15');

# ---- unpack over a private PostgreSQL and run ----
my $root = "$work/root";
make_path("$root/usr/lib/postgresql", "$root/usr/share/postgresql");
is(system('cp', '-a', '/usr/lib/postgresql/15', "$root/usr/lib/postgresql/"), 0, 'PostgreSQL 15 copied');
is(system('cp', '-a', '/usr/share/postgresql/15', "$root/usr/share/postgresql/"), 0, 'its share directory copied');
is(system('dpkg', '-x', $deb, $root), 0, 'dpkg -x unpacks the package over it');

my $node = PostgreSQL::Test::Cluster->new('deb', port => free_port(54370, 54379),
	install_path => "$root/usr/lib/postgresql/15");
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'\n");
$node->start;
is($node->safe_psql('postgres', "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'"),
	"$root/usr/lib/postgresql/15/lib", 'the server loads libraries from the unpacked package');
$node->safe_psql('postgres', q{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('deb_smoke', 2);
	SELECT streamkv.produce('deb_smoke', convert_to('hello', 'UTF8'), convert_to('k', 'UTF8'));
	SELECT streamkv.set('deb:key', 'value')});
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'streamkv'}),
	$ctl_version, 'CREATE EXTENSION installs the packaged version');
$node->restart;
is($node->safe_psql('postgres', q{SELECT streamkv.get('deb:key')}), 'value', 'the key survives a restart');
is($node->safe_psql('postgres',
	q{SELECT string_agg(convert_from(value, 'UTF8'), ',') FROM streamkv.partitions('deb_smoke') p,
	         streamkv.fetch('deb_smoke', p.partition, 0, 10)}),
	'hello', 'the record survives a restart');
$node->stop;
done_testing();
