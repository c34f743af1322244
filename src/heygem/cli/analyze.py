"""heygem analyze TEMPLATE [--overlay out.mp4]: run (or reuse) the face analysis and summarise it."""

from __future__ import annotations

import argparse

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="analyse a template video's face (cached) and print a summary")
    p.add_argument("template", help="template video of the person talking")
    p.add_argument("--overlay", metavar="OUT.mp4", help="also write the template with the landmarks drawn on it")


def summary(analysis) -> list[str]:
    """Printable lines: frames, rate, face coverage, pose range, mouth-opening range."""
    import numpy as np

    info = analysis.video
    face = analysis.has_face
    lines = [
        (f"{info.path}: {info.width}x{info.height}, {analysis.frame_count} frames at {float(info.fps):.2f} fps "
         f"({info.duration:.1f} s)"),
        f"face in {face.sum()} of {analysis.frame_count} frames ({100 * face.mean():.1f}%)",
    ]
    if face.any():
        pose = analysis.pose[face]
        for name, column in zip(("yaw", "pitch", "roll"), pose.T):
            lines.append(f"{name:>5}: {column.min():6.1f} .. {column.max():6.1f} deg (median {np.median(column):.1f})")
        opening = analysis.mouth[face, analysis.mouth_names.index("open")]
        lo, median, hi = np.percentile(opening, [0, 50, 100])
        lines.append(f"mouth opening: {lo:.3f} .. {hi:.3f} inter-ocular distances (median {median:.3f})")
    lines.append(f"cache: {analysis.cache_dir}")
    return lines


def write_overlay(analysis, output: str) -> None:
    from ..analysis.overlay import draw
    from ..media.decode import VideoSource
    from ..media.encode import VideoWriter

    names = analysis.mouth_names
    info = analysis.video
    with VideoSource(info.path) as source, VideoWriter(output, info.width, info.height, info.fps) as writer:
        for i, frame in enumerate(source.read()):
            label = f"{i}"
            if analysis.has_face[i]:
                yaw, pitch, roll = analysis.pose[i]
                mouth = analysis.mouth[i]
                label += (f"  yaw {yaw:.0f} pitch {pitch:.0f} roll {roll:.0f}  open {mouth[names.index('open')]:.2f}"
                          f"  teeth {mouth[names.index('teeth')]:.2f}")
            else:
                label += "  no face"
            writer.write(draw(frame, analysis.landmarks[i], analysis.boxes[i], label))


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..analysis.template import load_or_analyze
    from .progress import TerminalProgress

    with TerminalProgress() as progress:
        analysis = load_or_analyze(args.template, settings, progress)
    for line in summary(analysis):
        print(line)
    if args.overlay:
        write_overlay(analysis, args.overlay)
        print(f"wrote {args.overlay}")
    return 0
