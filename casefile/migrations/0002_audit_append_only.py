"""In PostgreSQL the audit trail refuses UPDATE and DELETE at the database itself, so that not
even a raw query or a bug can rewrite who opened what."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION casefile_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'casefile_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casefile_audit_append_only
    BEFORE UPDATE OR DELETE ON casefile_auditentry
    FOR EACH ROW EXECUTE FUNCTION casefile_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS casefile_audit_append_only ON casefile_auditentry;
DROP FUNCTION IF EXISTS casefile_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("casefile", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
