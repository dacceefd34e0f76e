-- Privileges (src/acl.c; README "Privileges"): grants are PostgreSQL ACL
-- items in a table, so they are transactional, replicated, kept across
-- restarts and carried by pg_dump.  Superusers and members of the extension
-- owner's role hold every privilege; other roles hold what is granted here.

CREATE TABLE streamkv.acl (
    object_type text NOT NULL CHECK (object_type IN ('keyspace', 'topic', 'group', 'database')),
    object_name text NOT NULL,
    acl aclitem[] NOT NULL,
    PRIMARY KEY (object_type, object_name)
);
COMMENT ON TABLE streamkv.acl IS
  'Grants on streamkv objects: one row per (object_type, object_name), the name * standing for every object of the type; change it with acl_grant and acl_revoke';
SELECT pg_catalog.pg_extension_config_dump('streamkv.acl', '');

CREATE FUNCTION streamkv._acl_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'sk_acl_changed' LANGUAGE C;
COMMENT ON FUNCTION streamkv._acl_changed() IS
  'Internal: statement trigger on streamkv.acl that invalidates the cached privilege checks';
CREATE TRIGGER acl_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON streamkv.acl
    FOR EACH STATEMENT EXECUTE FUNCTION streamkv._acl_changed();

CREATE FUNCTION streamkv.acl_grant(object_type text, object_name text, privileges text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_acl_grant' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acl_grant(text, text, text, text) IS
  'Grants privileges (comma-separated, or all) on a keyspace (read, write, admin; name NULL), topic (produce, consume, admin), group (consume, admin) or database (create, admin; name NULL) to a role or PUBLIC; the name * means every object of the type. Transactional; owner or superuser only';

CREATE FUNCTION streamkv.acl_revoke(object_type text, object_name text, privileges text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_acl_revoke' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acl_revoke(text, text, text, text) IS
  'Revokes privileges granted by acl_grant (same arguments). Transactional; owner or superuser only';

CREATE VIEW streamkv.privileges AS
SELECT a.object_type,
       NULLIF(a.object_name, '') AS object_name,
       CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(e.grantee) END AS role,
       CASE e.privilege_type
           WHEN 'SELECT' THEN CASE WHEN a.object_type = 'keyspace' THEN 'read' ELSE 'consume' END
           WHEN 'UPDATE' THEN 'write'
           WHEN 'INSERT' THEN 'produce'
           WHEN 'TRUNCATE' THEN 'admin'
           WHEN 'CREATE' THEN 'create'
           ELSE lower(e.privilege_type)
       END AS privilege
  FROM streamkv.acl a, LATERAL pg_catalog.aclexplode(a.acl) e;
COMMENT ON VIEW streamkv.privileges IS
  'Grants on streamkv objects, one row per role and privilege (owners and superusers hold every privilege without a row)';
GRANT SELECT ON streamkv.privileges TO PUBLIC;
