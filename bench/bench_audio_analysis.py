"""Audio analysis speed for the mouth: seconds of CPU per minute of audio, on one core.

Stages: `analyze_audio` (loudness, Silero VAD, log-mel), the all-phone decoding of the general
mouth model (pocketsphinx), and the model's features + prediction. The audio is the real test
speech beside the repo (../shared/testmedia/audio, or $HEYGEM_TESTMEDIA/audio) joined into one track, repeated to about a
minute. One thread for torch and BLAS and no phone decoding workers, so "cpu s/min" is what one core spends; the median of
several runs.

    python bench/bench_audio_analysis.py [--runs 3]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis import phone_decoder, phones  # noqa: E402
from benchkit import TESTMEDIA  # noqa: E402
from heygem.media.decode import load_audio  # noqa: E402
from heygem.motion import general  # noqa: E402

def minute_of_speech() -> np.ndarray:
    folder = TESTMEDIA / "audio"
    clips = [load_audio(p, SAMPLE_RATE) for p in sorted(folder.glob("*.wav"))]
    if not clips:
        raise SystemExit(f"no speech found in {folder}")
    joined = np.concatenate(clips)
    return np.tile(joined, int(np.ceil(60 * SAMPLE_RATE / len(joined))))[: 60 * SAMPLE_RATE]


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    phone_decoder.MAX_WORKERS = 1  # the pieces decoded here, as on a one-core machine
    samples = minute_of_speech()
    minutes = len(samples) / SAMPLE_RATE / 60
    fps = Fraction(25)
    model = general.load()
    analyze_audio(samples[:SAMPLE_RATE], fps)  # load the VAD and decoder once, outside the timing
    phones.phone_shares(samples[:SAMPLE_RATE], fps, 25)
    stages = {"analyze_audio": [], "phone decoding": [], "features + predict": []}
    for _ in range(args.runs):
        start = time.process_time()
        audio = analyze_audio(samples, fps)
        stages["analyze_audio"].append(time.process_time() - start)
        start = time.process_time()
        shares = phones.phone_shares(samples, fps, audio.frame_count)
        stages["phone decoding"].append(time.process_time() - start)
        start = time.process_time()
        model.predict_features(general.frame_features(audio, model.feature_set, shares))
        stages["features + predict"].append(time.process_time() - start)
    total = sum(statistics.median(v) for v in stages.values())
    print(f"{'stage':<20} {'cpu s/min':>9}")
    for name, values in stages.items():
        print(f"{name:<20} {statistics.median(values) / minutes:9.2f}")
    print(f"{'total':<20} {total / minutes:9.2f}   (target <= 8 s per minute of audio on one core)")


if __name__ == "__main__":
    main()
