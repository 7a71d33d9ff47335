"""One module per revision of the counts database (Alembic skips this file)."""
