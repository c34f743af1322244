import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heygem.options import EncodeOptions, GenerateOptions
from heygem.service import MAX_ATTEMPTS, Job, JobInputs, JobNotFound, JobStateError, JobStatus
from heygem.service.owners import HOST, is_abandoned, new_owner, retire
from heygem.service.pgstore import PostgresJobStore
from heygem.service.store import SqliteJobStore


def job(job_id: str, root: Path, batch: str | None = None, created: float = 1000.0) -> Job:
    return Job(
        id=job_id, batch_id=batch, name=f"job {job_id}", status=JobStatus.QUEUED, progress=0.0, stage="queued",
        inputs=JobInputs(video=root / "uploads" / "v.mp4", audio=root / "uploads" / "a.wav", video_name="v.mp4",
                         audio_name="a.wav"),
        options=GenerateOptions(engine="loop", batch_size=4, encode=EncodeOptions(crf=20),
                                engine_options=(("delay", "0.1"),)),
        output=None, error=None, attempts=0, device=None, created_at=created,
    )


@pytest.fixture
def root(tmp_path):
    return tmp_path / "data"


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, root):
    """open_store(data_dir) -> a store on the same database each call: SQLite in the data dir, or a
    real PostgreSQL server (emptied before each test)."""
    opened = []
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        server.reset()

    def open_(data_dir: Path):
        if request.param == "postgres":
            s = PostgresJobStore(server.url, root=data_dir)
        else:
            s = SqliteJobStore(data_dir / "jobs.sqlite3", root=data_dir)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store, root):
    return open_store(root)


def test_jobs_round_trip_and_survive_reopening(store, open_store, root):
    original = job("a", root)
    store.add([original])
    assert store.get("a") == original
    store.close()
    reopened = open_store(root)
    assert reopened.get("a") == original
    assert reopened.get("nope") is None


def test_paths_follow_a_moved_data_dir(store, open_store, root, tmp_path):
    store.add([job("a", root)])
    store.close()
    moved = tmp_path / "elsewhere"
    root.mkdir(parents=True, exist_ok=True)
    root.rename(moved)
    again = open_store(moved)
    assert again.get("a").inputs.video == moved.resolve() / "uploads" / "v.mp4"


def test_adding_a_batch_is_all_or_nothing(store, root):
    store.add([job("a", root)])
    with pytest.raises(JobStateError, match="already exists"):
        store.add([job("b", root), job("a", root)])
    assert store.get("b") is None
    assert store.counts()["queued"] == 1


def test_list_filters_and_pages_newest_first(store, root):
    store.add([job(f"j{i}", root, batch="B" if i % 2 else None, created=1000.0 + i) for i in range(7)])
    page, total = store.list(offset=0, limit=3)
    assert total == 7 and [j.id for j in page] == ["j6", "j5", "j4"]
    page, total = store.list(offset=6, limit=3)
    assert [j.id for j in page] == ["j0"]
    page, total = store.list(batch_id="B")
    assert total == 3 and {j.id for j in page} == {"j1", "j3", "j5"}
    store.claim("j2", "me", "cpu", 2000.0)
    page, total = store.list([JobStatus.RUNNING])
    assert total == 1 and page[0].id == "j2"
    assert [j.id for j in store.queued()] == ["j0", "j1", "j3", "j4", "j5", "j6"]


def test_a_job_is_claimed_once_and_only_its_owner_finishes_it(store, root):
    store.add([job("a", root)])
    claimed = store.claim("a", "one", "cpu", 5.0)
    assert claimed.status is JobStatus.RUNNING and claimed.attempts == 1 and claimed.started_at == 5.0
    assert store.claim("a", "two", "cpu", 6.0) is None
    assert store.finish("a", "two", JobStatus.SUCCEEDED, root / "outputs" / "a.mp4", None, 7.0) is None
    assert not store.update_progress("a", "two", 0.5, "x", 7.0)
    assert store.update_progress("a", "one", 0.5, "rendering 2/4", 7.0)
    assert store.get("a").stage == "rendering 2/4"
    done = store.finish("a", "one", JobStatus.SUCCEEDED, root / "outputs" / "a.mp4", None, 8.0)
    assert done.status is JobStatus.SUCCEEDED and done.progress == 1.0 and done.output == root.resolve() / "outputs" / "a.mp4"


def test_cancel_retry_delete(store, root):
    store.add([job("q", root), job("r", root)])
    assert store.cancel("q", 1.0).status is JobStatus.CANCELED
    store.claim("r", "me", "cpu", 1.0)
    assert store.cancel("r", 2.0).status is JobStatus.RUNNING  # running: only requested
    assert store.cancel_requested("r") is True
    with pytest.raises(JobStateError, match="only failed or canceled"):
        store.retry("r", 3.0)
    again = store.retry("q", 3.0)
    assert again.status is JobStatus.QUEUED and again.attempts == 0 and again.error is None
    assert [j.id for j in store.queued()] == ["q"]
    assert store.delete("q").id == "q" and store.get("q") is None and store.delete("q") is None
    assert store.cancel_requested("q") is None
    with pytest.raises(JobNotFound):
        store.cancel("q", 4.0)


def test_recover_requeues_then_fails_after_max_attempts(store, root):
    store.add([job("a", root)])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert store.claim("a", f"dead{attempt}", "cpu", 1.0).attempts == attempt
        assert store.recover("a", "someone else", MAX_ATTEMPTS, "x", 2.0) is None  # guarded by the owner
        recovered = store.recover("a", f"dead{attempt}", MAX_ATTEMPTS, f"crash {attempt}", 2.0)
        expected = JobStatus.QUEUED if attempt < MAX_ATTEMPTS else JobStatus.FAILED
        assert recovered.status is expected and recovered.error == f"crash {attempt}"
    assert store.get("a").finished_at == 2.0


def test_release_does_not_count_the_attempt(store, root):
    store.add([job("a", root)])
    store.claim("a", "me", "cpu", 1.0)
    released = store.release("a", "me", "queued (interrupted by shutdown)")
    assert released.status is JobStatus.QUEUED and released.attempts == 0


def test_owner_liveness():
    now = time.time()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    assert is_abandoned(f"{HOST}:{dead_pid}:x", now, now)
    assert not is_abandoned(f"{HOST}:{os.getppid()}:x", now, now)  # a live process
    assert is_abandoned(f"{HOST}:{os.getppid()}:x", now - 1000, now)  # alive but silent for too long
    assert not is_abandoned(f"other-host:{dead_pid}:x", now, now)  # another machine: heartbeat decides
    mine = new_owner()
    assert not is_abandoned(mine, now, now)
    retire(mine)
    assert is_abandoned(mine, now, now)


def test_unsent_jobs_are_those_the_broker_never_got_or_got_long_ago(store, root):
    store.add([job("a", root), job("b", root), job("c", root)])
    assert [j.id for j in store.unsent(sent_before=100.0)] == ["a", "b", "c"]
    assert store.mark_sent("a", 50.0, sent_before=50.0) and store.mark_sent("b", 50.0, sent_before=50.0)
    assert not store.mark_sent("a", 51.0, sent_before=0.0)  # already sent: another sender backs off
    assert [j.id for j in store.unsent(sent_before=10.0)] == ["c"]
    assert [j.id for j in store.unsent(sent_before=60.0)] == ["a", "b", "c"]  # sent long ago: maybe lost
    store.claim("a", "dead", "cpu", 1.0)
    assert [j.id for j in store.unsent(sent_before=60.0)] == ["b", "c"]  # running jobs are not resent
    store.recover("a", "dead", MAX_ATTEMPTS, "crash", 2.0)
    assert [j.id for j in store.unsent(sent_before=10.0)] == ["a", "c"]  # queued again: to be sent again
    store.unmark_sent("b")  # its send failed
    assert [j.id for j in store.unsent(sent_before=10.0)] == ["a", "b", "c"]


def test_workers_report_in_and_are_forgotten(store):
    from heygem.service import WorkerInfo

    one = WorkerInfo("heygem@a:1", "a", "cuda:0", ("gpu", "cpu"), 1, ("j1",), 10.0, 11.0)
    two = WorkerInfo("heygem@b:2", "b", "cpu", ("cpu",), 2, (), 10.0, 12.0)
    store.beat_worker(one)
    store.beat_worker(two)
    store.beat_worker(WorkerInfo("heygem@a:1", "a", "cuda:0", ("gpu", "cpu"), 1, (), 10.0, 13.0))
    assert [(w.name, w.jobs, w.heartbeat_at) for w in store.workers()] == [("heygem@a:1", (), 13.0),
                                                                          ("heygem@b:2", (), 12.0)]
    assert store.workers()[1] == two
    store.remove_workers(seen_before=12.5)
    assert [w.name for w in store.workers()] == ["heygem@a:1"]
    store.remove_workers(name="heygem@a:1")
    assert store.workers() == []


def test_an_old_sqlite_store_is_upgraded_in_place(root):
    import sqlite3

    from heygem.service.store import SCHEMA

    root.mkdir(parents=True)
    old = sqlite3.connect(root / "jobs.sqlite3")
    old.executescript(SCHEMA.format(real="REAL").replace("    finished_at REAL,\n    sent_at REAL", "    finished_at REAL")
                      .split("CREATE TABLE IF NOT EXISTS workers")[0] + "PRAGMA user_version=1;")
    old.close()
    store = SqliteJobStore(root / "jobs.sqlite3", root=root)
    store.add([job("a", root)])
    assert [j.id for j in store.unsent(1.0)] == ["a"] and store.workers() == []
    store.close()
