"""open_store(settings): the job store the settings name, SQLite (store.py) or PostgreSQL (pgstore.py).

Apart from both stores, so that neither store module imports the other.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..errors import HeyGemError
from .store import JobStore, SqliteJobStore


def open_store(settings: Settings) -> JobStore:
    """The store the settings name: PostgreSQL for HEYGEM_DATABASE_URL=postgresql://..., else the SQLite
    file in the data dir. Paths are kept relative to the (resolved) data dir."""
    url = settings.database_url
    root = Path(settings.data_dir).resolve()
    if not url:
        return SqliteJobStore(settings.job_db, root=root)
    if url.startswith(("postgresql://", "postgres://")):
        from .pgstore import PostgresJobStore  # needs psycopg, an optional dependency

        return PostgresJobStore(url, root=root)
    raise HeyGemError(f"HEYGEM_DATABASE_URL must start with postgresql:// (got {url.split(':', 1)[0]}:...)")
