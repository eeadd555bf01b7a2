"""The inventory index: schema, stores (embedded SQLite file or a PostgreSQL server), indexer."""

from __future__ import annotations

from pathlib import Path

from triage.inventory.store import Store

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(db: str | Path) -> bool:
    """True when ``--db`` names a PostgreSQL server rather than an index file."""
    return isinstance(db, str) and db.startswith(URL_PREFIXES)


def open_store(db: str | Path, writable: bool) -> Store:
    """The index named by ``--db``: a ``postgresql://`` URL, anything else an SQLite file.

    ``writable``: create or migrate it for ``triage index``; otherwise open it read-only for a scan.
    """
    if is_url(db):
        from triage.inventory.postgres import PostgresStore

        return PostgresStore.create_or_open(str(db)) if writable else PostgresStore.open_readonly(str(db))
    from triage.inventory.store import SQLiteStore

    return SQLiteStore.create_or_open(Path(db)) if writable else SQLiteStore.open_readonly(Path(db))


__all__ = ["open_store", "is_url", "Store", "URL_PREFIXES"]
