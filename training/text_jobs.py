"""How text jobs move the mouth: the smoke-test templates speaking synthesised text in each offline
voice, rendered as a text job renders them (speaker other, the synthesiser's phonemes).

    python training/text_jobs.py [--testmedia DIR] [--out DIR]

No video exists of a synthetic voice, so nothing says where the real mouth would be; what can be
measured is how often the mouth stands still while the voice goes on (`heygem eval`'s frozen%),
how shaky the lip outline is (jitter against the template's own) and, as a proxy, how the opening
follows the speech's loudness. The text is validate_tts_phones.py's, in the voice's language. Prints
one row per template and voice and the means per template, per voice and over all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # score the sources beside this script, not an installed copy
sys.path.insert(0, str(REPO / "training"))

from heygem.config import Settings  # noqa: E402
from heygem.evaluation.run import cross_drive  # noqa: E402
from heygem.tts import synthesize  # noqa: E402
from heygem.tts.sidecars import save_timings  # noqa: E402
from heygem.tts.wav import write_wav  # noqa: E402
from validate_tts_phones import TEXTS, VOICES  # noqa: E402

COLUMNS = ("frozen_in_speech", "jitter_ratio", "open_r")


def spoken_texts(voices: list[str], folder: Path) -> list[Path]:
    """One synthesised file per voice, with the synthesiser's timings beside it, as text jobs write
    them (so the pipeline reads its phonemes and treats it as another voice)."""
    files = []
    for voice in voices:
        speech = synthesize(TEXTS[voice[:2]], voice)
        path = write_wav(speech, folder / f"{voice}.wav")
        save_timings(speech, path)
        files.append(path)
    return files


def _row(name: str, scores: list[dict]) -> str:
    means = [float(np.nanmean([s[c] for s in scores])) for c in COLUMNS]
    return f"{name:36} {100 * means[0]:7.1f}% {means[1]:7.2f} {means[2]:7.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testmedia", type=Path, default=Path(os.environ.get("HEYGEM_TESTMEDIA")
                                                                or REPO.parent / "shared" / "testmedia"))
    parser.add_argument("--out", type=Path, help="keep the videos here (default: a temporary folder)")
    parser.add_argument("--voices", nargs="+", default=list(VOICES), choices=VOICES)
    parser.add_argument("--templates", nargs="+", help="template file names (default: every video/*.mp4)")
    args = parser.parse_args(argv)
    templates = sorted((args.testmedia / "video").glob("*.mp4"))
    templates = [t for t in templates if args.templates is None or t.name in args.templates]
    if not templates:
        parser.error(f"no such template videos in {args.testmedia / 'video'}")
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        settings = Settings(data_dir=out / "data")
        audios = spoken_texts(args.voices, Path(scratch))
        print(f"{'template <- voice':36} {'frozen':>8} {'jitter':>7} {'loud r':>7}")
        scores: dict[tuple[str, str], dict] = {}
        for template in templates:
            for row in cross_drive(template, audios, out, settings):
                voice = row.method.removeprefix("driven by ")
                scores[template.stem, voice] = asdict(row.scores)
                print(_row(f"{template.stem} <- {voice}", [scores[template.stem, voice]]), flush=True)
    print()
    for template in templates:
        print(_row(f"{template.stem} (all voices)", [s for k, s in scores.items() if k[0] == template.stem]))
    for voice in args.voices:
        print(_row(f"{voice} (all templates)", [s for k, s in scores.items() if k[1] == voice]))
    print(_row(f"all ({len(scores)})", list(scores.values())))
    print("frozen: share of speech frames where the mouth stands still (heygem eval's frozen%); jitter: the lip "
          "outline's frame-to-frame change against the template's own; loud r: the opening against the speech's "
          "loudness (a proxy only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
