"""The general model's leave-one-speaker-out r against two landmarkers' openings.

    python training/judge_held_out.py --held-out DIR [--devset ../shared/devset] [--drives] [--clips FILE ...]

train_mouth_model.py scores its models against MediaPipe's mouth openings, the landmarker the
model learns from. This scores the same held-out models (`train_mouth_model.py --held-out DIR`:
one per speaker, trained without them) on every clip's whole soundtrack against both MediaPipe's
openings and dlib's (the landmarker of `heygem eval --judge dlib`; needs pip install -e '.[judge]').
A model that had learned one landmarker's quirks rather than mouths would score far lower on the
other's. Prints per clip, the mean over speakers (a speaker's clips averaged first) and per language.

--drives scores each model on `heygem eval`'s drive instead (the clip's last 40%, analysed on its
own) against the real mouths there: what the product's plan starts from. A gain of the
leave-one-speaker-out validation that does not show here does not reach the product
(training/README.md, "soft phone posteriors"); this takes ~2 minutes, the evaluation 13.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # score the sources beside this script, not an installed copy

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.evaluation.devset import read_list  # noqa: E402
from heygem.evaluation.judge import dlib_judge  # noqa: E402
from heygem.evaluation.metrics import pearson  # noqa: E402
from heygem.evaluation.split import first_sample, template_cut  # noqa: E402
from heygem.media.decode import load_soundtrack  # noqa: E402
from heygem.motion import general  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--held-out", type=Path, required=True, help="train_mouth_model.py --held-out DIR")
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache",
                        help="data folder for the face analyses (the training's own cache)")
    parser.add_argument("--drives", action="store_true",
                        help="score the evaluation's drives (each clip's last 40%%, analysed alone), not whole clips")
    parser.add_argument("--clips", nargs="*", help="only these files of LIST.tsv (a quick check)")
    args = parser.parse_args(argv)
    settings, judge = Settings(data_dir=args.cache), dlib_judge()
    speakers: dict[str, list[tuple[float, float]]] = {}
    language = {}
    print(f"{'clip':<28} {'mediapipe':>9} {'dlib':>6}")
    for entry in read_list(args.devset):
        if args.clips and entry.file not in args.clips:
            continue
        clip = args.devset / entry.file
        model = general.load(args.held_out / f"{entry.speaker}.npz")
        face = load_or_analyze(clip, settings)
        first = template_cut(face.frame_count) if args.drives else 0
        sound = load_soundtrack(clip, SAMPLE_RATE)[first_sample(first, face.video.fps):]
        predicted = model.predict(analyze_audio(sound, face.video.fps))[:, 0]
        n = min(len(predicted), face.frame_count - first)
        scores = (pearson(predicted[:n], face.mouth[first:first + n, 0]),
                  pearson(predicted[:n], judge.openings(clip, first, first + n)))
        speakers.setdefault(entry.speaker, []).append(scores)
        language[entry.speaker] = entry.language
        print(f"{entry.file:<28} {scores[0]:9.3f} {scores[1]:6.3f}", flush=True)
    mean = {s: np.mean(v, axis=0) for s, v in speakers.items()}
    groups = [("all", list(mean))] + [(lang, [s for s in mean if language[s] == lang]) for lang in sorted(set(language.values()))]
    for label, members in groups:
        m = np.mean([mean[s] for s in members], axis=0)
        print(f"{f'{label} ({len(members)})':<28} {m[0]:9.3f} {m[1]:6.3f}")
    print(f"r: opening predicted from the {'drive' if args.drives else 'clip'}'s sound by a model that never heard "
          "its speaker, against the real opening as each landmarker measures it; lag 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
