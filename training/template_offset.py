"""What a template's own audio/video offset does to the sync of what is made from it.

    python training/template_offset.py [CLIP ...] [--speech FILE] [--frames 4]

Each clip of the development set (default: five recordings that are in sync) is used as a template
three times, re-encoded: with its soundtrack as recorded, moved N frames later (the sound late) and
N frames earlier (the sound early: the picture late). The same speech drives the three motion plans; for
each moved soundtrack the table gives the lag at which its planned mouth openings agree best with
those of the template as recorded (0: the output keeps its sync with the new speech; -3: its
mouths come 3 frames after the speech), and what the plan's log says: the general model's r on the
template and the person-specific learner's cross-validated r and weight.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.phone_decoder import pcm16  # noqa: E402
from heygem.analysis.phones import phone_shares  # noqa: E402
from heygem.analysis.template import load_or_analyze  # noqa: E402
from heygem.config import Settings  # noqa: E402
from heygem.media.decode import VideoSource, load_audio, load_soundtrack  # noqa: E402
from heygem.media.encode import VideoWriter  # noqa: E402
from heygem.motion.plan import mouth_targets, picture_lag  # noqa: E402

CLIPS = ("es_woman.mp4", "en_woman_may.mp4", "zh_man_presenter.mp4", "en_man_interview_720p.mp4", "fr_man.mp4")


class _PlanLog(logging.Handler):
    """The numbers of the plan's "general model ... and person-specific model" log line."""

    def __init__(self) -> None:
        super().__init__()
        self.scores: tuple = ()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("mouth: general model") and len(record.args) == 4:
            self.scores = record.args  # general r, learner r, general weight, learner weight


def moved_soundtrack(clip: Path, frames: int, folder: Path) -> Path:
    """A copy of clip (re-encoded) with its soundtrack moved `frames` video frames later (earlier
    if negative), the gap filled with silence."""
    with VideoSource(clip) as source:
        info = source.info
        sound = load_soundtrack(clip, SAMPLE_RATE)
        shift = round(frames / float(info.fps) * SAMPLE_RATE)
        moved = np.concatenate([np.zeros(shift, np.float32), sound])[:len(sound)] if shift >= 0 else \
            np.concatenate([sound[-shift:], np.zeros(-shift, np.float32)])
        wav = folder / f"{clip.stem}_{frames:+d}.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(pcm16(moved))
        video = folder / f"{clip.stem}_{frames:+d}.mp4"
        with VideoWriter(video, info.width, info.height, info.fps, wav) as writer:
            for frame in source.read():
                writer.write(frame)
    return video


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=list(CLIPS), help="files of the development set")
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--speech", type=Path, default=REPO.parent / "shared" / "testmedia" / "audio" / "en_jane_16s.wav")
    parser.add_argument("--frames", type=int, default=4, help="how far the soundtrack is moved")
    args = parser.parse_args()
    plan_log = _PlanLog()
    logging.getLogger("heygem.motion").addHandler(plan_log)
    logging.getLogger("heygem.motion").setLevel(logging.INFO)
    samples = load_audio(args.speech, SAMPLE_RATE)
    print(f"{'clip':28s} {'soundtrack':>10s} {'lag':>4s} {'general r':>9s} {'learner r':>9s} {'learner weight':>14s}")
    with tempfile.TemporaryDirectory(prefix="heygem-offset-") as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data")
        for name in args.clips:
            clip = args.devset / name
            with VideoSource(clip) as source:
                fps = source.info.fps
            speech = analyze_audio(samples, fps)
            speech = replace(speech, phones=phone_shares(samples, fps, speech.frame_count))
            planned = {}
            for frames in (0, args.frames, -args.frames):
                template = load_or_analyze(moved_soundtrack(clip, frames, folder), settings)
                plan_log.scores = ()
                planned[frames] = mouth_targets(template, speech)[:, 0]
                general, learner, _, weight = plan_log.scores or (float("nan"),) * 4
                # the same search the plan makes for a template's own offset: planned[frames][t] vs planned[0][t + lag]
                lag = picture_lag(planned[frames], planned[0], np.ones(len(planned[0]), bool), float(fps))[0]
                print(f"{name:28s} {frames:>+10d} {lag:>+4d} {general:>9.2f} {learner:>9.2f} {weight:>14.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
