from django.db import migrations

# GIN index on the words of title + message for `search` (see findings.filters.SEARCH_DOCUMENT:
# the expression must stay identical). Raw SQL: an expression index Django's state need not know.


class Migration(migrations.Migration):
    dependencies = [("findings", "0004_present_flag_and_list_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS finding_search_fts ON findings_finding "
            "USING gin (to_tsvector('simple'::regconfig, title || ' ' || message))",
            reverse_sql="DROP INDEX IF EXISTS finding_search_fts",
        ),
    ]
