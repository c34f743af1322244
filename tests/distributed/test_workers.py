"""Distributed mode end to end with real processes: a server, two `heygem worker` processes,
PostgreSQL and Redis. kill -9 of a worker mid-job, cancel across processes, a broker restart.
The tests share the workers and run in file order: two workers until the SIGTERM test, one after."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import av
import pytest
from polling import wait_for

from heygem.options import GenerateOptions
from heygem.service import JobStatus

SLOW = GenerateOptions(engine="test-slow", device="cpu", batch_size=2, engine_options=(("delay", "0.08"),))
QUICK = GenerateOptions(engine="test-mark", device="cpu")
FRAMES = 50  # 2 s of audio at the template's 25 fps


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    from mediafactory import speechlike, write_audio, write_video

    folder = tmp_path_factory.mktemp("inputs")
    return {"video": write_video(folder / "anchor.mp4", 10),
            "audio": write_audio(folder / "news.wav", speechlike(2.0)),
            "short": write_audio(folder / "short.wav", speechlike(0.4, seed=2))}


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def outputs_of(cluster, job_id: str) -> list[str]:
    return sorted(p.name for p in cluster.settings.outputs_dir.glob(f"*{job_id}*"))


def test_two_workers_share_the_queue_and_progress_reaches_the_server(cluster, inputs):
    service = cluster.service
    jobs = [service.submit(inputs["video"], inputs["audio"], SLOW, name=f"slow {i}") for i in range(2)]
    seen_progress = wait_for(lambda: next((j for j in (service.get(job.id) for job in jobs)
                                           if j.status is JobStatus.RUNNING and 0 < j.progress < 1
                                           and j.stage.startswith("rendering")), None), 60, "remote progress")
    assert seen_progress.device == "cpu"
    busy = wait_for(lambda: [w for w in service.workers() if w.jobs] if len([w for w in service.workers() if w.jobs]) == 2
                    else None, 30, "both workers busy")
    assert {w.host for w in busy} == {os.uname().nodename} and all(w.device == "cpu" for w in busy)
    assert {job_id for w in busy for job_id in w.jobs} <= {job.id for job in jobs}
    done = service.wait([job.id for job in jobs], timeout=90)
    assert [j.status for j in done] == [JobStatus.SUCCEEDED] * 2, [j.error for j in done]
    assert all(frames(j.output) == FRAMES and j.attempts == 1 for j in done)
    # Each process ran one (each takes one job at a time, and prefetches nothing more).
    for proc in cluster.live_workers():
        assert "succeeded" in proc.log.read_text()
    system = service.system()
    assert system.distributed and len(system.workers) == 2


def test_cancel_reaches_a_job_on_another_process(cluster, inputs):
    service = cluster.service
    job = service.submit(inputs["video"], inputs["audio"], SLOW, name="to cancel")
    wait_for(lambda: service.get(job.id).progress >= 0.1, 60, "job running")
    worker = cluster.worker_running(job.id)
    asked = time.monotonic()
    service.cancel(job.id)
    final = service.wait([job.id], timeout=30)[0]
    print(f"cancel: canceled on the worker after {time.monotonic() - asked:.2f} s")
    assert final.status is JobStatus.CANCELED and final.output is None
    assert outputs_of(cluster, job.id) == []
    assert worker.poll() is None  # the worker lives on
    wait_for(lambda: not any(job.id in w.jobs for w in service.workers()), 10, "worker idle")


def test_kill_9_of_a_worker_mid_job_another_worker_finishes_it_once(cluster, inputs):
    service = cluster.service
    job = service.submit(inputs["video"], inputs["audio"], SLOW, name="victim")
    running = wait_for(lambda: (j := service.get(job.id)).progress >= 0.3 and j, 60, "job 30% done")
    victim = cluster.worker_running(job.id)
    assert list(cluster.settings.outputs_dir.glob(f".{job.id}.*.partial.mp4"))  # mid-write
    killed = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    print(f"\nkill -9: worker pid {victim.pid} killed at {running.progress:.0%} of job {job.id[:8]}")
    restarted = wait_for(lambda: (j := service.get(job.id)).attempts == 2 and j, 60, "job picked up again")
    print(f"kill -9: picked up again after {time.monotonic() - killed:.1f} s "
          f"(status {restarted.status.value}, attempt {restarted.attempts})")
    final = service.wait([job.id], timeout=60)[0]
    print(f"kill -9: {final.status.value} after {time.monotonic() - killed:.1f} s, {frames(final.output)} frames, "
          f"outputs: {outputs_of(cluster, job.id)}")
    assert final.status is JobStatus.SUCCEEDED and final.attempts == 2
    assert frames(final.output) == FRAMES
    assert outputs_of(cluster, job.id) == [f"{job.id}.mp4"]  # once, complete, no half file left
    assert victim.returncode == -signal.SIGKILL
    cluster.start_worker()  # back to two for the next test


def test_sigterm_puts_the_running_job_back_for_another_worker(cluster, inputs):
    service = cluster.service
    job = service.submit(inputs["video"], inputs["audio"], SLOW, name="interrupted")
    wait_for(lambda: service.get(job.id).progress >= 0.2, 60, "job running")
    stopped = cluster.worker_running(job.id)
    asked = time.monotonic()
    stopped.send_signal(signal.SIGTERM)  # systemctl stop / restart
    assert stopped.wait(30) == 0
    print(f"\nsigterm: worker exited after {time.monotonic() - asked:.1f} s")
    wait_for(lambda: service.get(job.id).status is JobStatus.RUNNING, 30, "job running again")
    print(f"sigterm: job running again after {time.monotonic() - asked:.1f} s")
    final = service.wait([job.id], timeout=60)[0]
    print(f"sigterm: job done after {time.monotonic() - asked:.1f} s")
    assert final.status is JobStatus.SUCCEEDED and final.attempts == 1  # a clean stop is not a failed try
    assert frames(final.output) == FRAMES
    assert not any(w.name.startswith(f"heygem-{stopped.pid}@") for w in service.workers())  # it signed off


def test_a_broker_restart_loses_no_queued_job(cluster, inputs):
    service = cluster.service
    assert len(cluster.live_workers()) == 1  # the earlier tests stopped one
    jobs = [service.submit(inputs["video"], inputs["audio"], SLOW, name="busy")]
    wait_for(lambda: service.get(jobs[0].id).status is JobStatus.RUNNING, 60, "worker busy")
    queued = [service.submit(inputs["video"], inputs["short"], QUICK, name=f"waiting {i}") for i in range(4)]
    assert all(service.get(j.id).status is JobStatus.QUEUED for j in queued)
    cluster.redis.kill()  # no persistence: every message in it is gone
    cluster.redis.start()
    done = service.wait([j.id for j in jobs + queued], timeout=90)
    assert [j.status for j in done] == [JobStatus.SUCCEEDED] * 5, [(j.status, j.error) for j in done]
    assert all(j.attempts == 1 for j in done)


def test_the_real_server_accepts_and_serves_while_workers_run(cluster, inputs, tmp_path):
    import httpx
    from servers import free_port

    port = free_port()
    server = cluster.heygem("serve", "--no-ui", "--port", str(port), "--device", "cpu", log=tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_for(lambda: _up(httpx, base), 60, "server up")
        with inputs["video"].open("rb") as video, inputs["short"].open("rb") as audio:
            reply = httpx.post(f"{base}/jobs", files={"template": video, "audio": audio},
                               data={"engine": "test-mark"}, timeout=30)
        assert reply.status_code == 202, reply.text
        job_id = reply.json()["id"]
        done = wait_for(lambda: (j := httpx.get(f"{base}/jobs/{job_id}").json())["status"] == "succeeded" and j,
                        60, "job done")
        video = httpx.get(f"{base}/jobs/{job_id}/result", timeout=30)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp" and done["attempts"] == 1
        assert any(job_id in proc.log.read_text() for proc in cluster.live_workers())  # a worker ran it
        assert "started on" not in (tmp_path / "serve.log").read_text()  # the server did not
        system = httpx.get(f"{base}/system").json()
        assert system["queued"] == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)


def _up(httpx, base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
