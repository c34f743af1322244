"""Where jobs live: the JobStore interface, the SQL both databases share, and the SQLite store.

Every state change is one UPDATE guarded by the state it expects (e.g. `WHERE status='queued'`), or
one transaction, so two processes (or machines) sharing a store, or a kill -9 at any instant, never
leave a job half-changed or claimed twice. `storage.open_store(settings)` picks SQLite (the embedded
default, <data>/jobs.sqlite3) or PostgreSQL (HEYGEM_DATABASE_URL, see pgstore.py).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import HeyGemError, JobNotFound, JobStateError
from .jobs import (
    Job,
    JobInputs,
    JobStatus,
    WorkerInfo,
    options_from_dict,
    options_to_dict,
)

# Aliases, because inside the classes below `list` names the method.
JobList = list[Job]
Page = tuple[JobList, int]
"""(jobs on the page, total matching)."""
RunningRows = list[tuple[Job, "str | None", "float | None"]]
"""Running jobs, each with its owner and its last heartbeat."""


class JobStore(ABC):
    """Persistent jobs. `owner` names the live process (and service) that runs a job."""

    @abstractmethod
    def add(self, jobs: Sequence[Job]) -> None:
        """Insert new queued jobs, all or none, at the end of the queue. JobStateError if an id exists."""

    @abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    def uses_input(self, path: Path) -> bool:
        """True when some job's inputs (or background picture) are the file at `path` (stores may
        answer this faster)."""
        offset, path = 0, Path(path)
        while True:
            jobs, total = self.list(offset=offset, limit=500)
            if any(path in (job.inputs.video, job.inputs.audio, Path(job.options.background)) for job in jobs):
                return True
            offset += len(jobs)
            if not jobs or offset >= total:
                return False

    @abstractmethod
    def find(self, id_prefix: str, limit: int = 2) -> JobList: ...

    @abstractmethod
    def list(self, statuses: Sequence[JobStatus] = (), batch_id: str | None = None,
             offset: int = 0, limit: int = 20) -> Page:
        """Newest first: (page, total matching)."""

    @abstractmethod
    def queued(self, limit: int = 100) -> JobList:
        """Queued jobs in queue order (oldest first)."""

    @abstractmethod
    def claim(self, job_id: str, owner: str, device: str, now: float) -> Job | None:
        """queued -> running for `owner` (attempts + 1); None when it is no longer queued."""

    @abstractmethod
    def update_progress(self, job_id: str, owner: str, progress: float, stage: str, now: float) -> bool:
        """Record progress (and heartbeat); False when `owner` no longer runs the job (deleted, recovered)."""

    @abstractmethod
    def update_inputs(self, job_id: str, inputs: JobInputs) -> None:
        """Replace the inputs (e.g. the audio synthesised from the job's text)."""

    @abstractmethod
    def finish(self, job_id: str, owner: str, status: JobStatus, output: Path | None,
               error: str | None, now: float, device: str | None = None) -> Job | None:
        """running -> a final status (and the device it really ran on); None when `owner` no longer runs it."""

    @abstractmethod
    def note(self, job_id: str, stage: str) -> None:
        """Set the stage message of a queued job (why it waits)."""

    @abstractmethod
    def release(self, job_id: str, owner: str, stage: str) -> Job | None:
        """running -> queued again without counting the attempt (the service is shutting down)."""

    @abstractmethod
    def cancel(self, job_id: str, now: float) -> Job:
        """Queued: canceled. Running: cancel requested (the worker stops it). Done: unchanged."""

    @abstractmethod
    def cancel_requested(self, job_id: str) -> bool | None:
        """Whether a cancel of the running job was asked for; None when the job is gone."""

    @abstractmethod
    def retry(self, job_id: str, now: float) -> Job:
        """failed/canceled -> queued at the end of the queue, attempts and error reset."""

    @abstractmethod
    def delete(self, job_id: str) -> Job | None:
        """Remove the job; returns what it was, None if there was none."""

    @abstractmethod
    def heartbeat(self, owner: str, now: float) -> None:
        """Mark all jobs `owner` runs as alive now."""

    @abstractmethod
    def running(self) -> RunningRows:
        """Every running job with its owner and last heartbeat."""

    @abstractmethod
    def recover(self, job_id: str, owner: str | None, max_attempts: int, error: str, now: float) -> Job | None:
        """A job whose owner died: queued again, or failed with `error` once attempts reach max_attempts.
        Only if `owner` still holds it; returns the new state."""

    @abstractmethod
    def counts(self) -> dict[str, int]: ...

    # --- distributed mode: what the broker was told, and who works -------------------------------

    @abstractmethod
    def unsent(self, sent_before: float, limit: int = 500) -> JobList:
        """Queued jobs never handed to the broker, or last handed to it before `sent_before` (queue order).
        Every change back to queued (recover, release, retry) clears the mark, so they are sent again."""

    @abstractmethod
    def mark_sent(self, job_id: str, now: float, sent_before: float) -> bool:
        """Mark a queued job as handed to the broker now, if it was not since `sent_before`. True when
        this call marked it: of several processes sending the same job, only that one sends it."""

    @abstractmethod
    def unmark_sent(self, job_id: str) -> None:
        """The send failed: the job counts as never sent."""

    @abstractmethod
    def beat_worker(self, info: WorkerInfo) -> None:
        """Insert or refresh one worker process's row (its heartbeat_at, running jobs)."""

    @abstractmethod
    def workers(self) -> list[WorkerInfo]:
        """Known worker processes, most recent heartbeat first."""

    @abstractmethod
    def remove_workers(self, name: str | None = None, seen_before: float | None = None) -> None:
        """Forget one worker (it stopped), or every worker silent since `seen_before`."""

    def close(self) -> None:
        pass


SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    batch_id TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    progress {real} NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    inputs TEXT NOT NULL,
    options TEXT NOT NULL,
    output TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    device TEXT,
    owner TEXT,
    heartbeat_at {real},
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at {real} NOT NULL,
    started_at {real},
    finished_at {real},
    sent_at {real}
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_history ON jobs (created_at, seq);
CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id, seq);
CREATE TABLE IF NOT EXISTS workers (
    name TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    device TEXT NOT NULL,
    queues TEXT NOT NULL,
    concurrency INTEGER NOT NULL,
    jobs TEXT NOT NULL,
    started_at {real} NOT NULL,
    heartbeat_at {real} NOT NULL
);
"""
SCHEMA_VERSION = 2
"""1: jobs; 2: + jobs.sent_at and the workers table (distributed mode)."""
COLUMNS = ("id, batch_id, name, status, progress, stage, inputs, options, output, error, attempts, device, "
           "created_at, started_at, finished_at")
WORKER_COLUMNS = "name, host, device, queues, concurrency, jobs, started_at, heartbeat_at"
Rows = list[tuple]


class SqlJobStore(JobStore):
    """The SQL both databases run (written with `?` parameters). Paths under `root` (the data dir) are
    stored relative to it, so the data dir can move, and machines may mount it at different places.

    One connection guarded by a lock: the database serialises writers anyway, and this keeps each
    operation a single short statement or transaction. Subclasses supply the connection.
    """

    root: Path | None
    _lock: threading.RLock

    # --- what a database supplies -------------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Sequence) -> Any:
        """Run one statement on the connection; returns its cursor."""

    @abstractmethod
    def _tx(self) -> Any:
        """Context manager: one transaction that also serialises new queue positions (seq)."""

    def _is_duplicate(self, exc: Exception) -> bool:
        return False

    # --- plumbing -----------------------------------------------------------------------------

    def _run(self, sql: str, params: Sequence = ()) -> tuple[Rows, int]:
        """(rows, rowcount) of one statement."""
        with self._lock:
            cur = self._execute(sql, params)
            return (cur.fetchall() if cur.description is not None else []), cur.rowcount

    def _changed(self, sql: str, params: Sequence = ()) -> int:
        return self._run(sql, params)[1]

    def _scalar(self, sql: str, params: Sequence = ()) -> Any:
        rows = self._run(sql, params)[0]
        return rows[0][0] if rows else None

    def _rows(self, sql: str, params: Sequence = ()) -> JobList:
        return [self._job(row) for row in self._run(sql, params)[0]]

    def _path_out(self, path: Path | None) -> str | None:
        if path is None:
            return None
        path = Path(path)
        if self.root is not None and path.is_absolute() and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return str(path)

    def _path_in(self, text: str) -> Path:
        path = Path(text)
        return self.root / path if self.root is not None and not path.is_absolute() else path

    def _maybe_path_in(self, text: str | None) -> Path | None:
        return None if text is None else self._path_in(text)

    def _inputs_json(self, inputs: JobInputs) -> str:
        return json.dumps({
            "video": self._path_out(inputs.video), "audio": self._path_out(inputs.audio),
            "video_name": inputs.video_name, "audio_name": inputs.audio_name,
            "text": inputs.text, "voice": inputs.voice, "deliver_to": self._path_out(inputs.deliver_to),
        })

    def _job(self, row: tuple) -> Job:
        (job_id, batch_id, name, status, progress, stage, inputs, options, output, error, attempts, device,
         created_at, started_at, finished_at) = row
        data = json.loads(inputs)
        return Job(
            id=job_id, batch_id=batch_id, name=name, status=JobStatus(status), progress=progress, stage=stage,
            inputs=JobInputs(
                video=self._path_in(data["video"]), audio=self._maybe_path_in(data.get("audio")),
                video_name=data.get("video_name", ""), audio_name=data.get("audio_name"),
                text=data.get("text"), voice=data.get("voice"),
                deliver_to=self._maybe_path_in(data.get("deliver_to")),
            ),
            options=options_from_dict(json.loads(options)), output=self._maybe_path_in(output), error=error,
            attempts=attempts, device=device, created_at=created_at, started_at=started_at, finished_at=finished_at,
        )

    def _one(self, job_id: str) -> Job | None:
        rows = self._rows(f"SELECT {COLUMNS} FROM jobs WHERE id=?", (job_id,))
        return rows[0] if rows else None

    def _next_seq(self) -> int:
        return int(self._scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs"))

    # --- JobStore ----------------------------------------------------------------------------

    def add(self, jobs: Sequence[Job]) -> None:
        with self._tx():
            seq = self._next_seq()
            for offset, job in enumerate(jobs):
                try:
                    self._execute(
                        "INSERT INTO jobs (id, seq, batch_id, name, status, progress, stage, inputs, options, "
                        "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (job.id, seq + offset, job.batch_id, job.name, job.status.value, job.progress, job.stage,
                         self._inputs_json(job.inputs), json.dumps(options_to_dict(job.options)),
                         job.attempts, job.created_at),
                    )
                except Exception as exc:
                    if self._is_duplicate(exc):
                        raise JobStateError(f"a job with id {job.id!r} already exists") from exc
                    raise

    def get(self, job_id: str) -> Job | None:
        return self._one(job_id)

    def find(self, id_prefix: str, limit: int = 2) -> JobList:
        escaped = id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._rows(f"SELECT {COLUMNS} FROM jobs WHERE id LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?",
                          (escaped + "%", limit))

    def list(self, statuses: Sequence[JobStatus] = (), batch_id: str | None = None,
             offset: int = 0, limit: int = 20) -> Page:
        where, params = [], []
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += [JobStatus(s).value for s in statuses]
        if batch_id is not None:
            where.append("batch_id = ?")
            params.append(batch_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            total = self._scalar(f"SELECT COUNT(*) FROM jobs {clause}", params)
            page = self._rows(f"SELECT {COLUMNS} FROM jobs {clause} ORDER BY created_at DESC, seq DESC "
                              "LIMIT ? OFFSET ?", params + [max(0, limit), max(0, offset)])
        return page, int(total)

    def queued(self, limit: int = 100) -> JobList:
        return self._rows(f"SELECT {COLUMNS} FROM jobs WHERE status='queued' ORDER BY seq LIMIT ?", (limit,))

    def claim(self, job_id: str, owner: str, device: str, now: float) -> Job | None:
        with self._lock:
            changed = self._changed(
                "UPDATE jobs SET status='running', owner=?, device=?, attempts=attempts+1, started_at=?, "
                "finished_at=NULL, heartbeat_at=?, progress=0, stage='starting', cancel_requested=0 "
                "WHERE id=? AND status='queued'", (owner, device, now, now, job_id))
            return self._one(job_id) if changed == 1 else None

    def update_progress(self, job_id: str, owner: str, progress: float, stage: str, now: float) -> bool:
        return self._changed("UPDATE jobs SET progress=?, stage=?, heartbeat_at=? "
                             "WHERE id=? AND owner=? AND status='running'", (progress, stage, now, job_id, owner)) == 1

    def update_inputs(self, job_id: str, inputs: JobInputs) -> None:
        self._changed("UPDATE jobs SET inputs=? WHERE id=?", (self._inputs_json(inputs), job_id))

    def finish(self, job_id: str, owner: str, status: JobStatus, output: Path | None,
               error: str | None, now: float, device: str | None = None) -> Job | None:
        with self._lock:
            changed = self._changed(
                "UPDATE jobs SET status=?, output=?, error=?, finished_at=?, owner=NULL, device=COALESCE(?, device), "
                "progress=COALESCE(?, progress), stage=?, cancel_requested=0 WHERE id=? AND owner=? AND status='running'",
                (status.value, self._path_out(output), error, now, device,
                 1.0 if status is JobStatus.SUCCEEDED else None, status.value, job_id, owner))
            return self._one(job_id) if changed == 1 else None

    def note(self, job_id: str, stage: str) -> None:
        self._changed("UPDATE jobs SET stage=? WHERE id=? AND status='queued'", (stage, job_id))

    def release(self, job_id: str, owner: str, stage: str) -> Job | None:
        with self._lock:
            changed = self._changed(
                "UPDATE jobs SET status='queued', owner=NULL, attempts=CASE WHEN attempts > 0 THEN attempts-1 "
                "ELSE 0 END, progress=0, stage=?, started_at=NULL, sent_at=NULL "
                "WHERE id=? AND owner=? AND status='running'", (stage, job_id, owner))
            return self._one(job_id) if changed == 1 else None

    def cancel(self, job_id: str, now: float) -> Job:
        with self._tx():
            self._execute("UPDATE jobs SET status='canceled', finished_at=?, stage='canceled' "
                          "WHERE id=? AND status='queued'", (now, job_id))
            self._execute("UPDATE jobs SET cancel_requested=1, stage='canceling' WHERE id=? AND status='running'",
                          (job_id,))
            job = self._one(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return job

    def cancel_requested(self, job_id: str) -> bool | None:
        rows = self._run("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,))[0]
        return None if not rows else bool(rows[0][0])

    def retry(self, job_id: str, now: float) -> Job:
        with self._tx():
            job = self._one(job_id)
            if job is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
                raise JobStateError(f"job {job_id} is {job.status.value}; only failed or canceled jobs can be retried")
            self._execute("UPDATE jobs SET status='queued', seq=?, attempts=0, error=NULL, output=NULL, progress=0, "
                          "stage='queued (retry)', started_at=NULL, finished_at=NULL, owner=NULL, device=NULL, "
                          "cancel_requested=0, sent_at=NULL WHERE id=?", (self._next_seq(), job_id))
            return self._one(job_id)  # type: ignore[return-value]

    def uses_input(self, path: Path) -> bool:
        stored = self._path_out(Path(path))
        with self._lock:
            return self._db.execute(
                "SELECT 1 FROM jobs WHERE json_extract(inputs, '$.video')=? OR json_extract(inputs, '$.audio')=? "
                "OR json_extract(options, '$.background')=? LIMIT 1", (stored, stored, str(path))).fetchone() is not None

    def delete(self, job_id: str) -> Job | None:
        with self._tx():
            job = self._one(job_id)
            self._execute("DELETE FROM jobs WHERE id=?", (job_id,))
        return job

    def heartbeat(self, owner: str, now: float) -> None:
        self._changed("UPDATE jobs SET heartbeat_at=? WHERE owner=? AND status='running'", (now, owner))

    def running(self) -> RunningRows:
        rows = self._run(f"SELECT {COLUMNS}, owner, heartbeat_at FROM jobs WHERE status='running' ORDER BY seq")[0]
        return [(self._job(row[:-2]), row[-2], row[-1]) for row in rows]

    def recover(self, job_id: str, owner: str | None, max_attempts: int, error: str, now: float) -> Job | None:
        with self._tx():
            # `owner = ?` never matches NULL, so an owner-less running job is matched separately.
            guard = "owner IS NULL" if owner is None else "owner=?"
            changed = self._execute(
                "UPDATE jobs SET status=CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END, "
                "finished_at=CASE WHEN attempts >= ? THEN ? END, "
                "stage=CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued (requeued after a crash)' END, "
                f"error=?, owner=NULL, progress=0, output=NULL, sent_at=NULL WHERE id=? AND status='running' AND {guard}",
                (max_attempts, max_attempts, now, max_attempts, error, job_id) + (() if owner is None else (owner,)),
            ).rowcount
            return self._one(job_id) if changed == 1 else None

    def counts(self) -> dict[str, int]:
        rows = self._run("SELECT status, COUNT(*) FROM jobs GROUP BY status")[0]
        counts = {s.value: 0 for s in JobStatus}
        counts.update({status: int(n) for status, n in rows})
        return counts

    def unsent(self, sent_before: float, limit: int = 500) -> JobList:
        return self._rows(f"SELECT {COLUMNS} FROM jobs WHERE status='queued' AND (sent_at IS NULL OR sent_at < ?) "
                          "ORDER BY seq LIMIT ?", (sent_before, limit))

    def mark_sent(self, job_id: str, now: float, sent_before: float) -> bool:
        return self._changed("UPDATE jobs SET sent_at=? WHERE id=? AND status='queued' "
                             "AND (sent_at IS NULL OR sent_at < ?)", (now, job_id, sent_before)) == 1

    def unmark_sent(self, job_id: str) -> None:
        self._changed("UPDATE jobs SET sent_at=NULL WHERE id=?", (job_id,))

    def beat_worker(self, info: WorkerInfo) -> None:
        self._changed(
            f"INSERT INTO workers ({WORKER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "device=excluded.device, queues=excluded.queues, concurrency=excluded.concurrency, jobs=excluded.jobs, "
            "heartbeat_at=excluded.heartbeat_at",
            (info.name, info.host, info.device, ",".join(info.queues), info.concurrency, json.dumps(list(info.jobs)),
             info.started_at, info.heartbeat_at))

    def workers(self) -> builtins.list[WorkerInfo]:
        rows = self._run(f"SELECT {WORKER_COLUMNS} FROM workers ORDER BY heartbeat_at DESC, name")[0]
        return [WorkerInfo(name=name, host=host, device=device, queues=tuple(q for q in queues.split(",") if q),
                           concurrency=int(concurrency), jobs=tuple(json.loads(jobs)), started_at=started,
                           heartbeat_at=beat)
                for name, host, device, queues, concurrency, jobs, started, beat in rows]

    def remove_workers(self, name: str | None = None, seen_before: float | None = None) -> None:
        if name is not None:
            self._changed("DELETE FROM workers WHERE name=?", (name,))
        if seen_before is not None:
            self._changed("DELETE FROM workers WHERE heartbeat_at < ?", (seen_before,))


class SqliteJobStore(SqlJobStore):
    """SQLite in WAL mode: the embedded default. ":memory:" gives a throw-away store."""

    def __init__(self, path: str | Path, root: Path | None = None):
        self.root = root.resolve() if root is not None else None
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit; multi-statement changes use explicit BEGIN IMMEDIATE.
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a process crash (not always power loss).
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._tx():
            version = self._scalar("PRAGMA user_version")
            if version > SCHEMA_VERSION:
                raise HeyGemError(f"job store {path} was written by a newer HeyGem (schema {version})")
            if version == 1:
                self._execute("ALTER TABLE jobs ADD COLUMN sent_at REAL", ())
            for statement in SCHEMA.format(real="REAL").split(";"):  # not executescript(): it would commit
                if statement.strip():
                    self._execute(statement, ())
            self._execute(f"PRAGMA user_version={SCHEMA_VERSION}", ())

    def _execute(self, sql: str, params: Sequence) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock at once: queue positions (seq) are read and written in one go.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    def close(self) -> None:
        with self._lock:
            self._db.close()

