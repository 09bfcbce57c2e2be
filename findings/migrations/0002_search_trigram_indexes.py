from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# `search` filters with title/message icontains, i.e. UPPER(col) LIKE UPPER('%q%'): trigram GIN
# indexes on UPPER() answer it without scanning every finding. Kept out of the model state so
# test databases built from the models (--nomigrations) need no extension.


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS finding_title_trgm ON findings_finding USING gin (UPPER(title) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS finding_title_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS finding_message_trgm ON findings_finding USING gin (UPPER(message) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS finding_message_trgm",
        ),
    ]
