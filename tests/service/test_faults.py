"""Crash safety: kill -9 of a real worker process mid-job, abandoned jobs, many jobs in a row."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
from polling import wait_for

from heygem.options import GenerateOptions
from heygem.service import MAX_ATTEMPTS, JobStatus
from heygem.service.owners import HOST

TESTS = Path(__file__).resolve().parents[1]
LOOP = GenerateOptions(engine="loop", device="cpu")
SLOW = GenerateOptions(engine="test-slow", device="cpu", batch_size=2, engine_options=(("delay", "0.1"),))

# A separate process that runs the queue, with the slow test engine registered in it.
WORKER = """
import sys
sys.path.insert(0, {tests!r})
from testengines import SlowEngine
from heygem.engines import registry
registry.register(SlowEngine)
from heygem.cli import main
sys.exit(main(["--data-dir", {data!r}, "jobs", "run", "--device", "cpu"]))
"""


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def start_worker(data_dir: Path, log: Path) -> subprocess.Popen:
    code = WORKER.format(tests=str(TESTS), data=str(data_dir))
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_kill_9_mid_job_then_restart_completes_every_job_once(make_service, media, settings, tmp_path):
    service = make_service()  # this process only submits and watches
    first = service.submit(media["video"], media["audio"], LOOP, name="first")
    slow = service.submit(media["video"], media["long_audio"], SLOW, name="slow")  # 25 batches x 0.1 s
    last = service.submit(media["video"], media["audio2"], LOOP, name="last")
    outputs = settings.outputs_dir
    log = tmp_path / "worker.log"

    worker = start_worker(settings.data_dir, log)
    try:
        wait_for(lambda: service.get(slow.id).status is JobStatus.RUNNING and service.get(slow.id).progress >= 0.3,
                 timeout=60)
        assert list(outputs.glob(f".{slow.id}.*.partial.mp4"))  # it is mid-write
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL

    after_crash = {job.id: job for job in service.list(limit=10)[0]}
    assert after_crash[first.id].status is JobStatus.SUCCEEDED and frames(after_crash[first.id].output) == 10
    assert after_crash[slow.id].status is JobStatus.RUNNING and after_crash[slow.id].output is None
    assert after_crash[last.id].status is JobStatus.QUEUED
    assert not (outputs / f"{slow.id}.mp4").exists()  # the half file is only ever a hidden temp file

    restarted = start_worker(settings.data_dir, log)
    assert restarted.wait(timeout=90) == 0, log.read_text()

    jobs, total = service.list(limit=10)
    assert total == 3
    final = {job.id: job for job in jobs}
    assert all(job.status is JobStatus.SUCCEEDED for job in jobs), [(j.name, j.error) for j in jobs]
    assert final[first.id].attempts == 1 and final[first.id].finished_at == after_crash[first.id].finished_at
    assert final[slow.id].attempts == 2 and final[last.id].attempts == 1
    assert frames(final[slow.id].output) == 50
    assert sorted(p.name for p in outputs.iterdir()) == sorted(f"{job_id}.mp4" for job_id in final)


def test_abandoned_jobs_are_requeued_then_failed_after_max_attempts(make_service, media):
    service = make_service()
    crashed_once = service.submit(media["video"], media["audio"], LOOP)
    crashed_always = service.submit(media["video"], media["audio2"], LOOP)
    store = service.store
    store.claim(crashed_once.id, f"{HOST}:{dead_pid()}:gone", "cpu", time.time())
    for attempt in range(MAX_ATTEMPTS):
        owner = f"{HOST}:{dead_pid()}:gone{attempt}"
        store.claim(crashed_always.id, owner, "cpu", time.time())
        if attempt < MAX_ATTEMPTS - 1:
            store.recover(crashed_always.id, owner, MAX_ATTEMPTS, "crashed", time.time())
    service.start()
    once, always = service.wait([crashed_once.id, crashed_always.id], timeout=30)
    assert once.status is JobStatus.SUCCEEDED and once.attempts == 2
    assert always.status is JobStatus.FAILED and always.attempts == MAX_ATTEMPTS
    assert always.error.startswith(f"gave up after {MAX_ATTEMPTS} attempts: the process running this job stopped")


def test_a_silent_runner_on_another_host_is_taken_over_only_when_its_heartbeat_is_stale(make_service, media):
    service = make_service()
    alive = service.submit(media["video"], media["audio"], LOOP)
    stale = service.submit(media["video"], media["audio2"], LOOP)
    service.store.claim(alive.id, "other-host:1:x", "cuda:0", time.time())
    service.store.claim(stale.id, "other-host:2:x", "cuda:0", time.time() - 3600)
    service.start()
    assert service.wait([stale.id], timeout=30)[0].status is JobStatus.SUCCEEDED
    assert service.get(alive.id).status is JobStatus.RUNNING  # still someone else's


def test_two_hundred_jobs_all_complete(make_service, media, settings):
    service = make_service()
    service.start()
    ids = [service.submit(media["video"], media["audio"], LOOP).id for _ in range(200)]
    jobs = service.wait(ids, timeout=300)
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 200
    assert len({job.output for job in jobs}) == 200 and all(job.output.stat().st_size > 0 for job in jobs)
    assert len(list(settings.outputs_dir.iterdir())) == 200  # no temp files left
