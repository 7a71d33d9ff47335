"""The Network's picture: counters kept without keeping a case (model.py, plain data) and where they are
stored (store.py: SQLite or PostgreSQL through SQLAlchemy Core, tables made by the Alembic migrations in
migrations/). Imported by the web layer and the CLI; never by the engine."""

from .model import DIMENSIONS, Cell, CellKey, TrainingSession, month_of
from .store import CountStore, CountsUnavailable

__all__ = ["DIMENSIONS", "Cell", "CellKey", "CountStore", "CountsUnavailable", "TrainingSession", "month_of"]
