import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heygem.options import EncodeOptions, GenerateOptions
from heygem.service import MAX_ATTEMPTS, Job, JobInputs, JobNotFound, JobStateError, JobStatus
from heygem.service.owners import HOST, is_abandoned, new_owner, retire
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


@pytest.fixture
def store(root):
    s = SqliteJobStore(root / "jobs.sqlite3", root=root)
    yield s
    s.close()


def test_jobs_round_trip_and_survive_reopening(store, root):
    original = job("a", root)
    store.add([original])
    assert store.get("a") == original
    store.close()
    reopened = SqliteJobStore(root / "jobs.sqlite3", root=root)
    assert reopened.get("a") == original
    assert reopened.get("nope") is None
    reopened.close()


def test_paths_follow_a_moved_data_dir(store, root, tmp_path):
    store.add([job("a", root)])
    store.close()
    moved = tmp_path / "elsewhere"
    root.rename(moved)
    again = SqliteJobStore(moved / "jobs.sqlite3", root=moved)
    assert again.get("a").inputs.video == moved.resolve() / "uploads" / "v.mp4"
    again.close()


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
