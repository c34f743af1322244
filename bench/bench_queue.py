"""Job queue overhead: N tiny jobs through JobService vs the same work as direct pipeline.run calls.

Overhead per job = (submit -> finished event) - (time inside pipeline.run for that job): copying and
hashing inputs, store writes, dispatch, worker start, progress writes, the final state. Also timed:
N jobs submitted at once (wall time per job) against N direct runs. Prints one table of medians.
The target is under 50 ms per job.

    python bench/bench_queue.py [--jobs 50] [--frames 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from heygem import pipeline
from heygem.config import Settings
from heygem.options import GenerateOptions
from heygem.service import JobService

OPTIONS = GenerateOptions(engine="loop", device="cpu")


def make_media(folder: Path, frames: int) -> tuple[Path, Path]:
    """A 64x48 template of `frames` frames at 25 fps and as long a tone-burst speech stand-in."""
    video, audio = folder / "template.mp4", folder / "speech.wav"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 + 7 * i % 200, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    t = np.arange(int(16000 * frames / 25)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 4 * t) > 0)).astype(np.float32)
    with av.open(str(audio), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, 0, Fraction(1, 16000)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return video, audio


class TimedRunner:
    """pipeline.run, remembering how long each output took inside it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, video, audio, output, *args, **kwargs):
        start = time.perf_counter()
        try:
            return pipeline.run(video, audio, output, *args, **kwargs)
        finally:
            self.seconds[Path(output).stem] = time.perf_counter() - start


def ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--frames", type=int, default=10, help="frames per job (tiny: the queue dominates)")
    args = parser.parse_args()
    n = args.jobs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        video, audio = make_media(root, args.frames)
        settings = Settings(data_dir=root / "data")
        for _ in range(3):  # warm-up: lazy imports, first-call set-up
            pipeline.run(video, audio, root / "warm.mp4", OPTIONS, settings)

        runner = TimedRunner()
        service = JobService(settings, device="cpu", runner=runner)
        finished: dict[str, float] = {}
        done = threading.Event()

        def on_event(event) -> None:
            if event.kind == "finished":
                finished[event.job.id] = time.perf_counter()
                done.set()

        service.subscribe(on_event)
        service.start()
        direct, submit, end_to_end, overhead = [], [], [], []
        for i in range(n):  # one at a time, interleaved with direct runs so background load hits both alike
            start = time.perf_counter()
            pipeline.run(video, audio, root / f"direct{i}.mp4", OPTIONS, settings)
            direct.append(time.perf_counter() - start)
            done.clear()
            start = time.perf_counter()
            job = service.submit(video, audio, OPTIONS)
            submit.append(time.perf_counter() - start)
            done.wait(30)
            end_to_end.append(finished[job.id] - start)
            overhead.append(end_to_end[-1] - runner.seconds[job.id])

        start = time.perf_counter()  # N direct runs back to back, then N jobs submitted at once
        for i in range(n):
            pipeline.run(video, audio, root / f"direct{i}.mp4", OPTIONS, settings)
        direct_per_job = (time.perf_counter() - start) / n
        start = time.perf_counter()  # all at once: throughput
        ids = [service.submit(video, audio, OPTIONS).id for _ in range(n)]
        service.wait(ids)
        batch_per_job = (time.perf_counter() - start) / n
        service.close()

    print(f"{n} jobs of {args.frames} frames (64x48, loop engine, CPU); milliseconds, medians")
    print(f"{'measure':<46} {'ms':>8}")
    print(f"{'direct pipeline.run':<46} {ms(direct)}")
    print(f"{'queued, one at a time: submit() call':<46} {ms(submit)}")
    print(f"{'queued, one at a time: submit -> finished':<46} {ms(end_to_end)}")
    print(f"{'queued, one at a time: inside pipeline.run':<46} {ms(list(runner.seconds.values())[:n])}")
    print(f"{'queue overhead per job (target < 50)':<46} {ms(overhead)}")
    print(f"{'all submitted at once: wall time per job':<46} {1000 * batch_per_job:8.1f}")
    print(f"{'N direct runs back to back: wall time per job':<46} {1000 * direct_per_job:8.1f}")
    print(f"{'all at once: overhead per job vs direct':<46} {1000 * (batch_per_job - direct_per_job):8.1f}")


if __name__ == "__main__":
    main()
