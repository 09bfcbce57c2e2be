from django.db import migrations

from repotoire.cache import CREATE_TABLE_SQL


class Migration(migrations.Migration):
    """pgvector and the shared cache table (see repotoire/cache.py)."""

    initial = True
    dependencies: list = []

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS vector", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(CREATE_TABLE_SQL, reverse_sql="DROP TABLE IF EXISTS repotoire_cache"),
    ]
