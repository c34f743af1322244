"""Subtitle alignment error: how far each aligned line's start and end are from when it is spoken.

    python bench/bench_subtitles.py [--media ../shared/testmedia]

Real clips: hand-checked line timings in tests/data/subtitle_lines.json (see its "about").
Made clips: speech synthesised by our own TTS, whose sentence timings are known exactly, then
aligned as if it were an uploaded audio with a script. Prints a table; the median and the
largest error per method.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "subtitle_lines.json"
MADE = {
    "en": ("en-joe", ["The new library opens on Monday morning.", "Everyone is welcome to visit and borrow books.",
                      "Children can join a reading club after school.", "Thank you for listening."]),
    "zh": (None, ["新的图书馆将在星期一早上开放。", "欢迎大家前来参观和借书。", "孩子们放学后可以参加读书会。"]),
}


def errors(found, reference) -> list[float]:
    return [abs(f.start - r[1]) for f, r in zip(found, reference)] + [abs(f.end - r[2]) for f, r in zip(found, reference)]


def main() -> int:
    from benchkit import TESTMEDIA
    from heygem.media.decode import load_audio
    from heygem.subtitles import align
    from heygem.tts import synthesize

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=None, help="shared test media folder")
    args = parser.parse_args()
    media = args.media or TESTMEDIA
    rows, by_method = [], {}
    for clip in json.loads(REFERENCE.read_text())["clips"]:
        path = media / clip["file"]
        if not path.is_file():
            print(f"skipped (missing): {path}", file=sys.stderr)
            continue
        samples = load_audio(path, 16000)
        lines = [line[0] for line in clip["lines"]]
        script = " ".join(lines)
        for method, run in (("pocketsphinx words", align.align_english), ("spread over VAD", align.spread_over_speech)):
            found = align.time_lines(run(samples, script), lines)
            errs = errors(found, clip["lines"])
            by_method.setdefault(f"real en, {method}", []).extend(errs)
            rows.append((clip["file"], method, len(lines), np.median(errs), max(errs)))
    for language, (voice, sentences) in MADE.items():
        speech = synthesize(" ".join(sentences), voice)
        samples = _resample(speech.samples, speech.sample_rate)
        reference = [(t, s, e) for s, e, t in speech.phrases]
        methods = [("pocketsphinx words", align.align_english)] if language == "en" else []
        methods.append(("spread over VAD", align.spread_over_speech))
        for method, run in methods:
            found = align.time_lines(run(samples, " ".join(sentences)), sentences)
            errs = errors(found, reference)
            by_method.setdefault(f"made {language}, {method}", []).extend(errs)
            rows.append((f"TTS {language} ({speech.voice})", method, len(sentences), np.median(errs), max(errs)))
    print("| clip | method | lines | median error s | max error s |\n|---|---|---|---|---|")
    for name, method, n, med, top in rows:
        print(f"| {name} | {method} | {n} | {med:.2f} | {top:.2f} |")
    print("\n| set | boundaries | median s | max s | within 0.5 s |\n|---|---|---|---|---|")
    for name, errs in by_method.items():
        errs_a = np.array(errs)
        print(f"| {name} | {len(errs)} | {np.median(errs_a):.2f} | {errs_a.max():.2f} | {np.mean(errs_a <= 0.5):.0%} |")
    return 0


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    from math import gcd

    g = gcd(16000, rate)
    return resample_poly(samples, 16000 // g, rate // g).astype(np.float32)


if __name__ == "__main__":
    raise SystemExit(main())
