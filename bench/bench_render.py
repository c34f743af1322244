"""The render thread's engine work per output frame: CPU milliseconds of the default engine's
`changed_boxes` + `render` (placing, warping and blending the lower face), measured in the thread
that runs them, at each template size.

    python bench/bench_render.py                         # 480p, 720p, 1080p; 3 runs each
    python bench/bench_render.py --compare-src OTHER/src # also another checkout, alternating

Each run is a real `pipeline.run` (20 s of the real test speech, cached template) in its own
process; only the engine's two calls are timed, with the CPU clock of their thread, so the
encoder and the decoding workers busy on the other cores do not count. Medians over runs.
Writes bench/results/render-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import benchkit

SECONDS = 20.0


def child(spec: dict) -> None:
    """One generation; a JSON line with the engine's thread CPU per changed frame."""
    import time

    from heygem import pipeline
    from heygem.config import Settings
    from heygem.engines.mouthbank.engine import MouthBankEngine
    from heygem.options import GenerateOptions

    spent = {"cpu": 0.0, "frames": 0}

    def timed(method, count_frames):
        def run(self, *args):
            since = time.thread_time()
            result = method(self, *args)
            spent["cpu"] += time.thread_time() - since
            if count_frames:
                spent["frames"] += len(args[0].frames)
            return result
        return run

    MouthBankEngine.changed_boxes = timed(MouthBankEngine.changed_boxes, False)
    MouthBankEngine.render = timed(MouthBankEngine.render, True)
    pipeline.run(spec["template"], spec["audio"], spec["output"], GenerateOptions(engine="mouthbank"),
                 Settings(data_dir=Path(spec["data"])))
    print(json.dumps({"ms_per_frame": 1000 * spent["cpu"] / max(spent["frames"], 1), "frames": spent["frames"]}))


def measure(spec: dict, src: str | None) -> dict:
    return benchkit.run_child(__file__, spec, pythonpath=src)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720, 1080], choices=sorted(benchkit.RESOLUTIONS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare-src", help="another checkout's src folder, timed alternating with this one")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    variants = {"this checkout": None}
    if args.compare_src:
        variants["compared"] = str(Path(args.compare_src).resolve())
    rows = []
    with tempfile.TemporaryDirectory(prefix="heygem-bench-render-") as tmp:
        folder = Path(tmp)
        video, speech = benchkit.source_media(folder)
        audio = benchkit.long_speech(speech, SECONDS, folder / "speech.wav")
        for height in args.heights:
            width, _ = benchkit.RESOLUTIONS[height]
            spec = {"template": str(benchkit.resized_template(video, width, height, folder)), "audio": str(audio),
                    "output": str(folder / "out.mp4"), "data": str(folder / f"data{height}")}
            measure(spec, None)  # analyse the template once (cached for every variant)
            samples: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.runs):
                for name, src in variants.items():
                    samples[name].append(measure(spec, src)["ms_per_frame"])
            for name, values in samples.items():
                rows.append({"size": f"{width}x{height}", "what": name, "engine CPU ms/frame": statistics.median(values),
                             "runs": values})
    benchkit.print_table(f"default engine, CPU of its thread per changed frame (medians of {args.runs} runs)",
                         [{k: v for k, v in row.items() if k != "runs"} for row in rows])
    path = benchkit.save_record("render", {"seconds": SECONDS, "rows": rows})
    print(f"record: {path.relative_to(benchkit.REPO)}")


if __name__ == "__main__":
    main()
