"""Real Redis and PostgreSQL servers for tests and benchmarks: on free local ports, in temp folders,
stopped afterwards. `available()` says why one cannot run here (then tests skip)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not open port {port}: {log.read_text()[-2000:]}")


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _pg_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` system user."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return ""
    return "postgres"


def postgres_missing() -> str | None:
    if not (postgres_bin("initdb") and postgres_bin("postgres")):
        return "PostgreSQL server binaries (initdb, postgres) not installed"
    if _pg_user() == "":
        return "running as root and there is no 'postgres' user to run PostgreSQL as"
    return None


def redis_missing() -> str | None:
    return None if shutil.which("redis-server") else "redis-server not installed"


@dataclass
class Postgres:
    port: int = field(default_factory=free_port)
    folder: Path = Path()
    """Made by start(): a folder in the system temp folder that the server's user owns."""
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://heygem@127.0.0.1:{self.port}/postgres"

    def start(self) -> "Postgres":
        user = _pg_user()
        # In the system temp folder, owned by the server user (pytest's tmp folders are private to root).
        self.folder = Path(tempfile.mkdtemp(prefix="heygem-pg-"))
        if user:
            shutil.chown(self.folder, user, user)
        data, log = self.folder / "data", self.folder / "log.txt"
        subprocess.run([postgres_bin("initdb"), "-D", str(data), "-U", "heygem", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], user=user or None, check=True, capture_output=True)
        with log.open("wb") as out:
            # Durability off: a test server needs speed, not crash safety of its own.
            self.proc = subprocess.Popen(
                [postgres_bin("postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.folder),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"], user=user or None, stdout=out, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, log)
        import psycopg

        deadline = time.monotonic() + 30
        while True:  # the port opens a moment before the server accepts sessions
            try:
                psycopg.connect(self.url).close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: does not wait for clients to leave
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def reset(self) -> None:
        """Drop HeyGem's tables: every test starts from an empty database."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute("DROP TABLE IF EXISTS jobs, workers, heygem_schema")


def start_postgres() -> Postgres:
    return Postgres().start()


@dataclass
class Redis:
    folder: Path
    port: int = field(default_factory=free_port)
    persist: bool = True
    """False: nothing on disk, so a restart loses every queued message (the worst case)."""
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.folder / "redis.log"
        with log.open("ab") as out:
            # appendfsync always: every queued message is on disk before Redis answers (see README).
            durable = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                 *durable, "--save", "", "--protected-mode", "no"], stdout=out, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, log)
        return self

    def kill(self) -> None:
        """kill -9: nothing is flushed on the way out."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
