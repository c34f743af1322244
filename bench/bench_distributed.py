"""Distributed mode (Celery over Redis, jobs in PostgreSQL) on this one machine: real servers and
real `heygem worker` processes, against the embedded mode (SQLite, jobs run in-process).

* throughput: N equal jobs (a real clip at 480p, --seconds of speech, the `loop` engine: decode,
  encode, mux) with 1 and 2 worker processes, and the embedded mode with 1 slot (medians of
  --repeats runs, the modes taking turns);
* idle latency: one job at a time into an idle system, submit -> started (median of --probes);
  the distributed minus the embedded figure is what the broker round trip adds per job;
* a deep queue: --queued tiny jobs submitted at once to one worker (and to the embedded mode): the
  submit cost per job, the gap between one job's end and the next one's start (median, p95: does
  a long queue slow dispatch?) and the median submit -> start wait (mostly waiting in line).

    python bench/bench_distributed.py [--jobs 8] [--seconds 4] [--repeats 3] [--queued 200] [--probes 15]

Needs redis-server and PostgreSQL's server binaries (as tests/servers.py finds them).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests")]

from benchkit import long_speech, print_table, resized_template, save_record, source_media  # noqa: E402
from cluster import Cluster  # noqa: E402
from polling import wait_for  # noqa: E402
from testengines import SlowEngine  # noqa: E402
from mediafactory import speechlike, write_audio, write_video  # noqa: E402
from servers import Redis, postgres_missing, redis_missing, start_postgres  # noqa: E402

from heygem.config import Settings  # noqa: E402
from heygem.engines import registry  # noqa: E402
from heygem.options import GenerateOptions  # noqa: E402
from heygem.service import JobService, JobStatus  # noqa: E402

WORK = GenerateOptions(engine="loop", device="cpu")
WARM = GenerateOptions(engine="test-slow", device="cpu", batch_size=2, engine_options=(("delay", "0.3"),))
"""Warm-up jobs long enough that each idle worker takes one (and imports the pipeline once)."""


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def run_all(service: JobService, video: Path, audio: Path, count: int) -> float:
    """Submit `count` jobs at once; seconds until the last one ended."""
    started = time.perf_counter()
    jobs = [service.submit(video, audio, WORK) for _ in range(count)]
    done = service.wait([j.id for j in jobs], timeout=3600)
    assert all(j.status is JobStatus.SUCCEEDED for j in done), [j.error for j in done]
    return time.perf_counter() - started


def idle_latency(service: JobService, video: Path, audio: Path, probes: int) -> list[float]:
    """submit -> started, one job at a time into an idle system (seconds)."""
    latencies = []
    for _ in range(probes):
        job = service.submit(video, audio, WORK)
        done = service.wait([job.id], timeout=120)[0]
        latencies.append(done.started_at - done.created_at)
    return latencies


def deep_queue(service: JobService, video: Path, audio: Path, count: int) -> dict:
    """`count` tiny jobs submitted at once to one runner (one job at a time)."""
    started = time.perf_counter()
    jobs = [service.submit(video, audio, WORK) for _ in range(count)]
    submit_s = time.perf_counter() - started
    done = service.wait([j.id for j in jobs], timeout=3600)
    assert all(j.status is JobStatus.SUCCEEDED for j in done), [j.error for j in done]
    wall = time.perf_counter() - started
    ordered = sorted(done, key=lambda j: j.started_at)
    # One job at a time: the gap is the dispatch cost between a job's end and the next one's start.
    gaps = [b.started_at - a.finished_at for a, b in zip(ordered, ordered[1:])]
    waits = [j.started_at - j.created_at for j in done]
    return {"submit ms/job": 1000 * submit_s / count, "gap med ms": 1000 * statistics.median(gaps),
            "gap p95 ms": 1000 * p95(gaps), "wait med s": statistics.median(waits), "jobs/s": count / wall}


def warm_up(service: JobService, video: Path, audio: Path, workers: int) -> None:
    jobs = [service.submit(video, audio, WARM) for _ in range(workers)]
    service.wait([j.id for j in jobs], timeout=300)


def stop_workers(cluster: Cluster, keep: int) -> None:
    for proc in cluster.live_workers()[keep:]:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    wait_for(lambda: len(cluster.service.workers()) == keep, 30, f"{keep} worker(s) left")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=8, help="jobs per throughput run (default 8)")
    parser.add_argument("--seconds", type=float, default=4.0, help="speech per throughput job (default 4)")
    parser.add_argument("--queued", type=int, default=200, help="tiny jobs in the deep-queue run (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs per mode, taking turns (default 3)")
    parser.add_argument("--probes", type=int, default=15, help="one-at-a-time jobs for the latency (default 15)")
    parser.add_argument("--media", type=Path, default=None,
                        help="test media folder (video/man_map_en.mp4, audio/*.wav); default ../shared/testmedia")
    args = parser.parse_args()
    registry.register(SlowEngine)
    if why := (postgres_missing() or redis_missing()):
        print(f"cannot run: {why}", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    if args.media is not None:
        clip, speech = args.media / "video" / "man_map_en.mp4", sorted((args.media / "audio").glob("*.wav"))
    else:
        clip, speech = source_media(folder)
    video = resized_template(clip, 854, 480, folder)
    audio = long_speech(speech, args.seconds, folder / "speech.wav")
    tiny_video = write_video(folder / "tiny.mp4", 10)
    tiny_audio = write_audio(folder / "tiny.wav", speechlike(0.4))

    latency, queue = [], []
    walls: dict[str, list[float]] = {"embedded, 1 slot": [], "distributed, 1 worker": [], "distributed, 2 workers": []}
    # Embedded mode: SQLite, one job at a time in this process.
    embedded = JobService(Settings(data_dir=folder / "embedded", cpu_jobs=1), device="cpu")
    embedded.start()
    run_all(embedded, tiny_video, tiny_audio, 1)  # warm-up: imports
    postgres = start_postgres()
    redis = Redis(folder / "redis").start()
    try:
        settings = Settings(data_dir=folder / "data", database_url=postgres.url, broker_url=redis.url)
        service = JobService(settings, device="cpu")
        service.start()
        cluster = Cluster(service.settings, folder, redis, service)
        try:
            cluster.start_worker()
            warm_up(service, tiny_video, tiny_audio, 1)
            # The modes take turns, --repeats times, so a change in the machine's load hits all of them.
            for _ in range(args.repeats):
                walls["embedded, 1 slot"].append(run_all(embedded, video, audio, args.jobs))
                for workers in (1, 2):
                    while len(cluster.live_workers()) < workers:
                        cluster.start_worker()
                        warm_up(service, tiny_video, tiny_audio, workers)
                    walls[f"distributed, {workers} worker{'s' if workers > 1 else ''}"].append(
                        run_all(service, video, audio, args.jobs))
                stop_workers(cluster, keep=1)
            lat = idle_latency(embedded, tiny_video, tiny_audio, args.probes)
            latency.append({"mode": "embedded (SQLite)", "median ms": 1000 * statistics.median(lat),
                            "p95 ms": 1000 * p95(lat)})
            lat = idle_latency(service, tiny_video, tiny_audio, args.probes)
            latency.append({"mode": "distributed (Redis + PostgreSQL)", "median ms": 1000 * statistics.median(lat),
                            "p95 ms": 1000 * p95(lat)})
            queue.append({"mode": "embedded, 1 slot", "queued": args.queued,
                          **deep_queue(embedded, tiny_video, tiny_audio, args.queued)})
            queue.append({"mode": "distributed, 1 worker", "queued": args.queued,
                          **deep_queue(service, tiny_video, tiny_audio, args.queued)})
        finally:
            stop_workers(cluster, keep=0)
            service.close()
            embedded.close()
    finally:
        redis.stop()
        postgres.stop()

    throughput = [{"mode": mode, "jobs": args.jobs, "runs": " ".join(f"{w:.1f}" for w in runs),
                   "median s": statistics.median(runs), "jobs/min": 60 * args.jobs / statistics.median(runs)}
                  for mode, runs in walls.items()]
    print_table(f"Throughput: {args.jobs} jobs, 480p template, {args.seconds:g} s speech, `loop` engine", throughput)
    print_table("Idle submit -> start latency (tiny job, one at a time)", latency)
    broker = latency[1]["median ms"] - latency[0]["median ms"]
    print(f"broker round trip per job (distributed minus embedded median): {broker:.0f} ms")
    print_table(f"Deep queue: {args.queued} tiny jobs submitted at once, one runner", queue)
    path = save_record("distributed", {"args": {k: str(v) for k, v in vars(args).items()}, "throughput": throughput, "latency": latency,
                                       "broker_ms": broker, "queue": queue})
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
