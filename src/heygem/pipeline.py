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
from .media.encode import VideoWriter, patched_picture, yuv_picture
from .motion.timeline import ping_pong
from .options import GenerateOptions
from .render import background as backgrounds
from .types import GenerateResult, ProgressCallback

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
               decoded: list[av.VideoFrame]) -> list[av.VideoFrame | np.ndarray]:
    """The encoder's pictures, converted here in the render thread. Where the decoded picture can
    pass through, only the pixels a step changed are converted back into it (an unchanged frame is
    the decoded picture as it is); other RGB frames are converted whole. RGBA frames (a transparent
    background) and frames of a wrong size go to the writer as they are: it takes or refuses them."""
    pictures: list[av.VideoFrame | np.ndarray] = []
    for frame, base, picture in zip(finished, bases, decoded):
        if frame.shape != base.shape:
            pictures.append(frame)
        elif source.passes_through(picture):
            pictures.append(patched_picture(picture, base, frame))
        else:
            pictures.append(yuv_picture(frame))
    return pictures


def _subtitles(options: GenerateOptions, audio: str | Path, samples: np.ndarray, info):
    """The subtitles step (cues, burning, file), or None when none were asked for."""
    if options.subtitles == "none":
        return None
    from .subtitles.step import SubtitleStep

    return SubtitleStep.prepare(options.subtitles, options.script, audio, samples, info.width, info.height,
                                float(info.fps))


def _background_step(background, source, template, settings, report, should_cancel):
    """The step that puts rendered frames over the new background (None for "keep"): the person
    matte comes from the template cache, computed on first use."""
    if background.kind == backgrounds.KEEP:
        return None
    from .analysis.matte import load_or_compute

    # First use only; it shares the analysis' 30 % of the bar (which may be full already), so the
    # bar never runs backwards: the message counts the frames.
    matte = load_or_compute(source, settings, lambda f, m: report(0.3, m), should_cancel,
                            template.sha256 if template is not None else None)
    return backgrounds.BackgroundStep(background, matte, template)


def run(
    video: str | Path,
    audio: str | Path,
    output: str | Path,
    options: GenerateOptions = GenerateOptions(),
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> GenerateResult:
    """Generate `output` (mp4; webm/mov for a transparent background) where the person in `video`
    speaks `audio`."""
    settings = settings or Settings.from_env()
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    clock = _Clock()
    device = devices.resolve(options.device)
    engine_cls = registry.get(options.engine)
    engine_options = dict(options.engine_options)
    background = backgrounds.parse(options.background)  # a bad value or image fails before any work
    backgrounds.check_output(background, output)
    report(0.0, "reading inputs")
    with VideoSource(video) as source:
        with clock("probe"):
            samples = load_audio(audio, SAMPLE_RATE)
            info = source.info
        with clock("subtitles"):
            captions = _subtitles(options, audio, samples, info)  # before the slow stages: fails fast
        template = None
        if engine_cls.needs_face_analysis:
            from .analysis.template import load_or_analyze

            with clock("template analysis"):
                template = load_or_analyze(
                    source, settings, lambda f, m: report(0.3 * f, m), should_cancel=should_cancel
                )
        with clock("person matte"):
            backdrop = _background_step(background, source, template, settings, report, should_cancel)
        with clock("audio analysis"):
            speech = analyze_audio(samples, info.fps)
        from .motion.plan import make_plan

        with clock("motion plan"):
            plan = make_plan(template, speech, ping_pong(info.frame_count, speech.frame_count), options.motion,
                             options.mouth_weights)
        engine = registry.create(engine_cls.name, device, settings, engine_options)
        try:
            with clock("engine prepare"):
                engine.prepare(RenderJob(video=info, template=template, audio=speech, plan=plan))
            total = plan.frame_count

            def render(item: tuple[int, list[av.VideoFrame]]) -> tuple[np.ndarray, list[av.VideoFrame | np.ndarray]]:
                start, decoded = item
                indices = np.arange(start, start + len(decoded))
                base_indices = plan.base_indices[indices]
                with clock("decode"):  # colour conversion, here to keep the decode stage light
                    bases = [_read_only(source.to_rgb(picture)) for picture in decoded]
                with clock("render"):
                    finished = engine.render(FrameBatch(indices, base_indices, bases))
                # The seam: finished RGB frames, in output order, on their way to the encoder. A
                # step added here returns new arrays for the frames it changes (the decoded ones
                # are read-only; one that comes back unchanged is encoded from its YUV picture).
                if backdrop is not None:  # before anything drawn over the picture (e.g. captions)
                    with clock("background"):
                        finished = backdrop.apply(finished, base_indices)
                if captions is not None:
                    with clock("subtitles"):
                        finished = captions.burn(finished, indices)
                with clock("encode"):
                    return indices, _to_encode(source, bases, finished, decoded)

            # decode -> render -> encode, each stage in its own thread (encode in this one, so
            # progress and cancel callbacks run where the caller expects them).
            with VideoWriter(output, info.width, info.height, info.fps, audio, options.encode,
                             alpha=background.alpha) as writer, Flow() as flow:
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
            subtitles = captions.write(output) if captions is not None else None
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
        subtitles=subtitles,
        mouth_sources=engine.mouth_sources(),
    )
    log.info(
        "generated %s: %d frames in %.1f s (%.1f fps) on %s with %s",
        output, result.frames, seconds, result.render_fps, device, engine_cls.name,
    )
    return result
