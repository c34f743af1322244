"""One generation: template + audio -> output video. Sequences the stages, nothing else."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

from . import devices
from .analysis.audio import SAMPLE_RATE, analyze_audio
from .config import Settings
from .engines import registry
from .engines.base import FrameBatch, RenderJob
from .errors import JobCanceled
from .flow import Flow
from .media.decode import VideoSource, load_audio
from .media.encode import VideoWriter, yuv_picture
from .motion.timeline import ping_pong
from .options import GenerateOptions
from .types import GenerateResult, MotionPlan, ProgressCallback

log = logging.getLogger("heygem.pipeline")


class _Clock:
    """Seconds spent per stage. Stages run at the same time, so their sum can exceed the wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

        self._lock = threading.Lock()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        since = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - since


def _decode(source: VideoSource, base: np.ndarray, size: int, clock: _Clock) -> Iterator[tuple[int, list[av.VideoFrame]]]:
    """(first output index, the template frames under the batch as decoded): yuv420p, half the
    memory of RGB while they wait for the render stage."""
    frames = source.read_decoded(base)
    for start in range(0, len(base), size):
        with clock("decode"):
            decoded = [next(frames) for _ in range(min(size, len(base) - start))]
        yield start, decoded


def _read_only(frame: np.ndarray) -> np.ndarray:
    frame.flags.writeable = False
    return frame


def _to_encode(source: VideoSource, bases: list[np.ndarray], finished: list[np.ndarray],
               decoded: list[av.VideoFrame]) -> list[av.VideoFrame]:
    """The encoder's pictures: a frame left unchanged (the same array came back) is its decoded
    picture with no colour conversion at all where it passes through, the rest are converted."""
    return [picture if frame is base and source.passes_through(picture) else yuv_picture(frame)
            for frame, base, picture in zip(finished, bases, decoded)]


def run(
    video: str | Path,
    audio: str | Path,
    output: str | Path,
    options: GenerateOptions = GenerateOptions(),
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> GenerateResult:
    """Generate `output` (mp4) where the person in `video` speaks `audio`."""
    settings = settings or Settings.from_env()
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    clock = _Clock()
    device = devices.resolve(options.device)
    engine_cls = registry.get(options.engine)
    engine_options = dict(options.engine_options)
    report(0.0, "reading inputs")
    with VideoSource(video) as source:
        with clock("probe"):
            samples = load_audio(audio, SAMPLE_RATE)
            info = source.info
        template = None
        if engine_cls.needs_face_analysis:
            from .analysis.template import load_or_analyze

            with clock("template analysis"):
                template = load_or_analyze(
                    source, settings, lambda f, m: report(0.3 * f, m), should_cancel=should_cancel
                )
        with clock("audio analysis"):
            speech = analyze_audio(samples, info.fps)
        from .motion.plan import make_plan

        with clock("motion plan"):
            plan = make_plan(template, speech, ping_pong(info.frame_count, speech.frame_count), options.motion)
        engine = registry.create(engine_cls.name, device, settings, engine_options)
        try:
            with clock("engine prepare"):
                engine.prepare(RenderJob(video=info, template=template, audio=speech, plan=plan))
            total = plan.frame_count

            def render(item: tuple[int, list[av.VideoFrame]]) -> tuple[np.ndarray, list[av.VideoFrame]]:
                start, decoded = item
                indices = np.arange(start, start + len(decoded))
                with clock("decode"):  # colour conversion, here to keep the decode stage light
                    bases = [_read_only(source.to_rgb(picture)) for picture in decoded]
                with clock("render"):
                    finished = engine.render(FrameBatch(indices, plan.base_indices[indices], bases))
                # The seam: finished RGB frames, in output order, on their way to the encoder. A
                # step added here returns new arrays for the frames it changes (the decoded ones
                # are read-only; one that comes back unchanged is encoded from its YUV picture).
                with clock("encode"):
                    return indices, _to_encode(source, bases, finished, decoded)

            # decode -> render -> encode, each stage in its own thread (encode in this one, so
            # progress and cancel callbacks run where the caller expects them).
            with VideoWriter(output, info.width, info.height, info.fps, audio, options.encode) as writer, Flow() as flow:
                decoded = flow.start("decode", _decode(source, plan.base_indices, options.batch_size, clock))
                rendered = flow.start("render", map(render, decoded))
                for indices, pictures in rendered:
                    if should_cancel and should_cancel():
                        raise JobCanceled(f"canceled at frame {indices[0]} of {total}")
                    with clock("encode"):
                        for picture in pictures:
                            writer.write(picture)
                    done = int(indices[-1]) + 1
                    report(0.3 + 0.7 * done / total if template is not None else done / total, f"rendering {done}/{total}")
                with clock("encode"):
                    writer.finish()
        finally:
            engine.release()
            devices.release(device)
    seconds = time.perf_counter() - started
    report(1.0, "done")
    result = GenerateResult(
        output=Path(output),
        frames=plan.frame_count,
        fps=info.fps,
        seconds=seconds,
        device=device,
        engine=engine_cls.name,
        stage_seconds=clock.seconds,
    )
    log.info(
        "generated %s: %d frames in %.1f s (%.1f fps) on %s with %s",
        output, result.frames, seconds, result.render_fps, device, engine_cls.name,
    )
    return result
