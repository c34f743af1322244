"""The job store in PostgreSQL (HEYGEM_DATABASE_URL=postgresql://...), for several machines.

Same SQL as SQLite (store.SqlJobStore); what differs is here: `%s` parameters, DOUBLE PRECISION
times, a table lock that serialises queue positions, and reconnecting after the server restarted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import redact
from ..errors import HeyGemError
from .store import SCHEMA, SCHEMA_VERSION, SqlJobStore

SCHEMA_LOCK = 7_1302_2611
"""pg_advisory_xact_lock key: two processes creating the tables at once would collide in the catalog."""


class PostgresJobStore(SqlJobStore):
    def __init__(self, url: str, root: Path | None = None):
        try:
            import psycopg
        except ImportError as exc:
            raise HeyGemError("HEYGEM_DATABASE_URL needs the psycopg package: pip install 'heygem[distributed]'") from exc
        self._psycopg = psycopg
        self.url = url
        self.root = root.resolve() if root is not None else None
        self._lock = threading.RLock()
        self._db: Any = None
        self._in_tx = False
        self._connect()
        with self._lock, self._db.transaction():
            self._execute("SELECT pg_advisory_xact_lock(%s)" % SCHEMA_LOCK, ())
            self._execute("CREATE TABLE IF NOT EXISTS heygem_schema (version INTEGER NOT NULL)", ())
            version = self._scalar("SELECT MAX(version) FROM heygem_schema") or 0
            if version > SCHEMA_VERSION:
                raise HeyGemError(f"the job database was written by a newer HeyGem (schema {version})")
            for statement in SCHEMA.format(real="DOUBLE PRECISION").split(";"):
                if statement.strip():
                    self._execute(statement, ())
            self._execute("DELETE FROM heygem_schema", ())
            self._execute("INSERT INTO heygem_schema (version) VALUES (?)", (SCHEMA_VERSION,))

    def _connect(self) -> None:
        try:
            # autocommit: each statement stands alone unless _tx() opens a transaction.
            self._db = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.OperationalError as exc:
            raise HeyGemError(f"cannot connect to the job database ({redact(self.url)}): {exc}".strip()) from exc

    def _execute(self, sql: str, params: Sequence) -> Any:
        with self._lock:
            if self._db.broken and not self._in_tx:
                self._connect()  # the server restarted: the statement that noticed failed, this one goes on
            return self._db.execute(sql.replace("?", "%s"), params)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock:
            if self._db.broken:
                self._connect()
            with self._db.transaction():
                self._in_tx = True
                try:
                    # Queue positions are MAX(seq) + 1: one writer at a time, like SQLite's BEGIN IMMEDIATE.
                    self._execute("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE", ())
                    yield
                finally:
                    self._in_tx = False

    def _is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, self._psycopg.errors.UniqueViolation)

    def close(self) -> None:
        with self._lock:
            self._db.close()

