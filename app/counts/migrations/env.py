"""Alembic's environment for the counts database: run on the connection ``CountStore.migrate`` passes in
``config.attributes["connection"]``, inside its transaction (never from an alembic.ini or a URL of its own)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run the counts migrations with `pathway counts migrate`")
    if connection.dialect.name == "postgresql":
        # Two servers started at once migrate one after the other (held until the transaction ends).
        connection.execute(text("SELECT pg_advisory_xact_lock(7130201301)"))
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the counts migrations run online only (`pathway counts migrate`)")
run_migrations_online()
