"""How often real mouths are closed in pauses, by how far the frame is from speech.

    python training/pause_closure.py [--devset ../shared/devset]

The plan lets the mouth follow the model for LEAD_S before each phrase and RELEASE_S after it and
closes it beyond (motion/plan.py, mouth_active). This measures what real speakers do: for every
clip of the development set, the frames where the voice-activity detector hears no speech, grouped
by the distance to the nearest speech frame, and the share of them whose real opening is below the
clip's own 25th percentile ("closed", as `heygem eval` counts it; a quarter of all frames are).
Prints per clip (share and frame count per group) and all clips' frames pooled.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # measure with the sources beside this script, not an installed copy

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.evaluation.devset import read_list  # noqa: E402
from heygem.evaluation.run import CLOSED_PERCENTILE  # noqa: E402
from heygem.media.decode import load_soundtrack  # noqa: E402

GROUPS_S = ((0.0, 0.12), (0.12, 0.2), (0.2, 0.3), (0.3, 0.5), (0.5, 1.0), (1.0, float("inf")))
"""Distance from the nearest speech frame (seconds, lower bound exclusive)."""


def distance_to_speech(speech: np.ndarray) -> np.ndarray:
    """Frames from each frame to the nearest speech frame (inf without speech)."""
    at, frames = np.flatnonzero(speech), np.arange(len(speech))
    if not len(at):
        return np.full(len(speech), np.inf)
    next_ = np.searchsorted(at, frames)
    before, after = at[np.maximum(next_ - 1, 0)], at[np.minimum(next_, len(at) - 1)]
    return np.minimum(np.abs(frames - before), np.abs(after - frames)).astype(float)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--cache", type=Path, default=REPO / "training" / ".cache",
                        help="data folder for the face analyses (the training's own cache)")
    args = parser.parse_args(argv)
    settings = Settings(data_dir=args.cache)
    pooled = np.zeros((len(GROUPS_S), 2))  # closed frames, frames
    labels = [f"{low:g}-{high:g} s" for low, high in GROUPS_S]
    print(f"{'clip':<28}" + "".join(f"{label:>13}" for label in labels))
    for entry in read_list(args.devset):
        clip = args.devset / entry.file
        face = load_or_analyze(clip, settings)
        audio = analyze_audio(load_soundtrack(clip, SAMPLE_RATE), face.video.fps)
        n = min(audio.frame_count, face.frame_count)
        opening = face.mouth[:n, 0]
        seen = face.has_face[:n] & np.isfinite(opening)
        closed = opening < np.nanpercentile(opening[seen], CLOSED_PERCENTILE)
        away = distance_to_speech(audio.speech[:n]) / float(face.video.fps)
        cells = []
        for g, (low, high) in enumerate(GROUPS_S):
            frames = seen & ~audio.speech[:n] & (away > low) & (away <= high)
            pooled[g] += closed[frames].sum(), frames.sum()
            cells.append(f"{closed[frames].mean():.2f} ({frames.sum()})" if frames.any() else "-")
        print(f"{entry.file:<28}" + "".join(f"{c:>13}" for c in cells), flush=True)
    print(f"{'all frames':<28}" + "".join(f"{c / max(t, 1):.2f} ({int(t)})".rjust(13) for c, t in pooled))
    print("share of the real mouth closed (below the clip's 25th percentile) where no speech is heard, "
          "by distance from the nearest speech frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
