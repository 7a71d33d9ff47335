"""The counts' tables as the migrations make them, on SQLite and PostgreSQL: the counter is exactly (month,
dimension, value, organisation) -> count, keyed on the four; nothing finer than the month, no row per walk.
The store's own table definitions agree with the migrated tables."""

from __future__ import annotations

from sqlalchemy import DateTime, Integer, String, inspect
from sqlalchemy.types import Date, Time

from app.counts import CountStore
from app.counts.store import metadata

Shape = tuple[list[tuple[str, str, bool]], list[str]]  # (name, type, nullable) of each column; the key


def _shape(store: CountStore) -> dict[str, Shape]:
    with store.engine.connect() as connection:
        found = inspect(connection)
        return {name: ([(c["name"], type(c["type"]).__name__.upper(), bool(c["nullable"]))
                        for c in found.get_columns(name)], found.get_pk_constraint(name)["constrained_columns"])
                for name in found.get_table_names()}


def test_the_counter_is_month_dimension_value_organisation_and_a_count(store: CountStore) -> None:
    tables = _shape(store)
    columns, key = tables["counts"]
    assert [name for name, _, _ in columns] == ["month", "dimension", "value", "organisation", "count"]
    assert key == ["month", "dimension", "value", "organisation"]
    assert all(not nullable for _, _, nullable in columns)
    assert [kind for _, kind, _ in columns] == ["VARCHAR"] * 4 + ["INTEGER"]
    # The month is "YYYY-MM" (7 characters): no date, time or timestamp column anywhere.
    with store.engine.connect() as connection:
        month = next(c for c in inspect(connection).get_columns("counts") if c["name"] == "month")
        assert isinstance(month["type"], String) and month["type"].length == 7
        for name in tables:
            for column in inspect(connection).get_columns(name):
                assert not isinstance(column["type"], DateTime | Date | Time), (name, column["name"])
    assert set(tables) == {"alembic_version", "counts", "training_sessions", "sign_in_failures"}
    assert [n for n, _, _ in tables["training_sessions"][0]] == ["id", "month", "agency", "attendees"]
    assert [n for n, _, _ in tables["sign_in_failures"][0]] == ["address", "minute", "failures"]


def test_the_stores_tables_are_the_migrated_ones(store: CountStore) -> None:
    with store.engine.connect() as connection:
        found = inspect(connection)
        for table in metadata.sorted_tables:
            migrated = {c["name"]: c for c in found.get_columns(table.name)}
            assert list(migrated) == [c.name for c in table.columns], table.name
            for column in table.columns:
                kind = migrated[column.name]["type"]
                assert isinstance(kind, Integer) == isinstance(column.type, Integer), (table.name, column.name)
                if isinstance(column.type, String):
                    assert isinstance(kind, String) and kind.length == column.type.length, (table.name, column.name)
            key = found.get_pk_constraint(table.name)["constrained_columns"]
            assert key == [c.name for c in table.primary_key.columns], table.name
