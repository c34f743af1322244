"""Where jobs live: the JobStore interface and its SQLite implementation.

Every state change is one UPDATE guarded by the state it expects (e.g. `WHERE status='queued'`), or
one transaction, so two processes sharing a data dir, or a kill -9 at any instant, never leave a
job half-changed or claimed twice. A server database can replace SQLite behind the same interface.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .jobs import Job, JobInputs, JobNotFound, JobStateError, JobStatus, options_from_dict, options_to_dict

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
        """True when some job's inputs are the file at `path` (stores may answer this faster)."""
        offset, path = 0, Path(path)
        while True:
            jobs, total = self.list(offset=offset, limit=500)
            if any(path in (job.inputs.video, job.inputs.audio) for job in jobs):
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

    def close(self) -> None:
        pass


SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    batch_id TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    inputs TEXT NOT NULL,
    options TEXT NOT NULL,
    output TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    device TEXT,
    owner TEXT,
    heartbeat_at REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_history ON jobs (created_at, seq);
CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id, seq);
"""
SCHEMA_VERSION = 1
COLUMNS = ("id, batch_id, name, status, progress, stage, inputs, options, output, error, attempts, device, "
           "created_at, started_at, finished_at")
DONE = tuple(s.value for s in JobStatus if s.done)


class SqliteJobStore(JobStore):
    """SQLite in WAL mode. Paths under `root` (the data dir) are stored relative, so the data dir can move.

    One connection guarded by a lock: SQLite serialises writers anyway, and this keeps each
    operation a single short statement or transaction. ":memory:" gives a throw-away store.
    """

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
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                from ..errors import HeyGemError

                raise HeyGemError(f"job store {path} was written by a newer HeyGem (schema {version})")
            for statement in SCHEMA.split(";"):  # not executescript(): it would commit mid-transaction
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # --- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _exec(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _rows(self, sql: str, params: Sequence = ()) -> JobList:
        with self._lock:
            return [self._job(row) for row in self._db.execute(sql, params).fetchall()]

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

    # --- JobStore ----------------------------------------------------------------------------

    def add(self, jobs: Sequence[Job]) -> None:
        with self._tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]
            for job in jobs:
                seq += 1
                try:
                    db.execute(
                        "INSERT INTO jobs (id, seq, batch_id, name, status, progress, stage, inputs, options, "
                        "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (job.id, seq, job.batch_id, job.name, job.status.value, job.progress, job.stage,
                         self._inputs_json(job.inputs), json.dumps(options_to_dict(job.options)),
                         job.attempts, job.created_at),
                    )
                except sqlite3.IntegrityError as exc:
                    raise JobStateError(f"a job with id {job.id!r} already exists") from exc

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
            total = self._db.execute(f"SELECT COUNT(*) FROM jobs {clause}", params).fetchone()[0]
            page = self._rows(f"SELECT {COLUMNS} FROM jobs {clause} ORDER BY created_at DESC, seq DESC "
                              "LIMIT ? OFFSET ?", params + [max(0, limit), max(0, offset)])
        return page, total

    def queued(self, limit: int = 100) -> JobList:
        return self._rows(f"SELECT {COLUMNS} FROM jobs WHERE status='queued' ORDER BY seq LIMIT ?", (limit,))

    def claim(self, job_id: str, owner: str, device: str, now: float) -> Job | None:
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status='running', owner=?, device=?, attempts=attempts+1, started_at=?, "
                "finished_at=NULL, heartbeat_at=?, progress=0, stage='starting', cancel_requested=0 "
                "WHERE id=? AND status='queued'", (owner, device, now, now, job_id))
            return self._one(job_id) if cur.rowcount == 1 else None

    def update_progress(self, job_id: str, owner: str, progress: float, stage: str, now: float) -> bool:
        cur = self._exec("UPDATE jobs SET progress=?, stage=?, heartbeat_at=? "
                         "WHERE id=? AND owner=? AND status='running'", (progress, stage, now, job_id, owner))
        return cur.rowcount == 1

    def update_inputs(self, job_id: str, inputs: JobInputs) -> None:
        self._exec("UPDATE jobs SET inputs=? WHERE id=?", (self._inputs_json(inputs), job_id))

    def finish(self, job_id: str, owner: str, status: JobStatus, output: Path | None,
               error: str | None, now: float, device: str | None = None) -> Job | None:
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status=?, output=?, error=?, finished_at=?, owner=NULL, device=COALESCE(?, device), "
                "progress=CASE WHEN ?='succeeded' THEN 1.0 ELSE progress END, stage=?, cancel_requested=0 "
                "WHERE id=? AND owner=? AND status='running'",
                (status.value, self._path_out(output), error, now, device, status.value, status.value, job_id, owner))
            return self._one(job_id) if cur.rowcount == 1 else None

    def note(self, job_id: str, stage: str) -> None:
        self._exec("UPDATE jobs SET stage=? WHERE id=? AND status='queued'", (stage, job_id))

    def release(self, job_id: str, owner: str, stage: str) -> Job | None:
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status='queued', owner=NULL, attempts=MAX(attempts-1, 0), progress=0, stage=?, "
                "started_at=NULL WHERE id=? AND owner=? AND status='running'", (stage, job_id, owner))
            return self._one(job_id) if cur.rowcount == 1 else None

    def cancel(self, job_id: str, now: float) -> Job:
        with self._tx() as db:
            db.execute("UPDATE jobs SET status='canceled', finished_at=?, stage='canceled' "
                       "WHERE id=? AND status='queued'", (now, job_id))
            db.execute("UPDATE jobs SET cancel_requested=1, stage='canceling' WHERE id=? AND status='running'",
                       (job_id,))
            job = self._one(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return job

    def cancel_requested(self, job_id: str) -> bool | None:
        row = self._exec("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,)).fetchone()
        return None if row is None else bool(row[0])

    def retry(self, job_id: str, now: float) -> Job:
        with self._tx() as db:
            job = self._one(job_id)
            if job is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
                raise JobStateError(f"job {job_id} is {job.status.value}; only failed or canceled jobs can be retried")
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            db.execute("UPDATE jobs SET status='queued', seq=?, attempts=0, error=NULL, output=NULL, progress=0, "
                       "stage='queued (retry)', started_at=NULL, finished_at=NULL, owner=NULL, device=NULL, "
                       "cancel_requested=0 WHERE id=?", (seq, job_id))
            return self._one(job_id)  # type: ignore[return-value]

    def uses_input(self, path: Path) -> bool:
        stored = self._path_out(Path(path))
        with self._lock:
            return self._db.execute(
                "SELECT 1 FROM jobs WHERE json_extract(inputs, '$.video')=? OR json_extract(inputs, '$.audio')=? "
                "LIMIT 1", (stored, stored)).fetchone() is not None

    def delete(self, job_id: str) -> Job | None:
        with self._tx() as db:
            job = self._one(job_id)
            db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
        return job

    def heartbeat(self, owner: str, now: float) -> None:
        self._exec("UPDATE jobs SET heartbeat_at=? WHERE owner=? AND status='running'", (now, owner))

    def running(self) -> RunningRows:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS}, owner, heartbeat_at FROM jobs WHERE status='running' "
                                    "ORDER BY seq").fetchall()
            return [(self._job(row[:-2]), row[-2], row[-1]) for row in rows]

    def recover(self, job_id: str, owner: str | None, max_attempts: int, error: str, now: float) -> Job | None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status=CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END, "
                "finished_at=CASE WHEN attempts >= ? THEN ? END, "
                "stage=CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued (requeued after a crash)' END, "
                "error=?, owner=NULL, progress=0, output=NULL WHERE id=? AND status='running' AND owner IS ?",
                (max_attempts, max_attempts, now, max_attempts, error, job_id, owner))
            return self._one(job_id) if cur.rowcount == 1 else None

    def counts(self) -> dict[str, int]:
        rows = self._exec("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        counts = {s.value: 0 for s in JobStatus}
        counts.update({status: n for status, n in rows})
        return counts

    def close(self) -> None:
        with self._lock:
            self._db.close()
