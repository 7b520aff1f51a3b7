"""No double booking, enforced by PostgreSQL itself: an advisor, and a seeker, never hold two
appointments whose time ranges overlap (cancelled ones free their slot).

PostgreSQL only: on the embedded SQLite, the booking services' lock on the advisor row is what
keeps slots single. The constraints live here rather than in the model's Meta so that the same
migration history applies on both databases.
"""

from django.db import migrations

HOLDING = "('proposed', 'confirmed', 'held', 'seeker_absent', 'advisor_absent', 'technical_failure')"

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE interviews_appointment ADD CONSTRAINT appointment_no_advisor_overlap
        EXCLUDE USING gist (advisor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {HOLDING})""",
    f"""ALTER TABLE interviews_appointment ADD CONSTRAINT appointment_no_seeker_overlap
        EXCLUDE USING gist (seeker_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {HOLDING})""",
]
DROP = [
    "ALTER TABLE interviews_appointment DROP CONSTRAINT IF EXISTS appointment_no_advisor_overlap",
    "ALTER TABLE interviews_appointment DROP CONSTRAINT IF EXISTS appointment_no_seeker_overlap",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("interviews", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
