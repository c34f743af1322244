"""One generation: template + audio -> output video. Sequences the stages, nothing else."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import devices
from .analysis.audio import SAMPLE_RATE, analyze_audio
from .config import Settings
from .engines import registry
from .engines.base import FrameBatch, RenderJob
from .errors import JobCanceled
from .media.decode import VideoSource, load_audio
from .media.encode import VideoWriter
from .motion.timeline import ping_pong
from .options import GenerateOptions
from .render import background as backgrounds
from .types import GenerateResult, MotionPlan, ProgressCallback

log = logging.getLogger("heygem.pipeline")


def _batches(frames: Iterator[np.ndarray], base: np.ndarray, size: int) -> Iterator[FrameBatch]:
    start = 0
    while start < len(base):
        stop = min(start + size, len(base))
        chunk = [next(frames) for _ in range(stop - start)]
        yield FrameBatch(np.arange(start, stop), base[start:stop], chunk)
        start = stop


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
    stages: dict[str, float] = {}

    def stage_done(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = stages.get(name, 0.0) + now - since
        return now

    device = devices.resolve(options.device)
    engine_cls = registry.get(options.engine)
    engine_options = dict(options.engine_options)
    background = backgrounds.parse(options.background)  # a bad value or image fails before any work
    backgrounds.check_output(background, output)
    t = time.perf_counter()
    report(0.0, "reading inputs")
    with VideoSource(video) as source:
        samples = load_audio(audio, SAMPLE_RATE)
        info = source.info
        t = stage_done("probe", t)
        captions = _subtitles(options, audio, samples, info)  # before the slow stages: fails fast
        t = stage_done("subtitles", t)
        template = None
        if engine_cls.needs_face_analysis:
            from .analysis.template import load_or_analyze

            template = load_or_analyze(
                source, settings, lambda f, m: report(0.3 * f, m), should_cancel=should_cancel
            )
            t = stage_done("template analysis", t)
        backdrop = _background_step(background, source, template, settings, report, should_cancel)
        if backdrop is not None:
            t = stage_done("person matte", t)
        speech = analyze_audio(samples, info.fps)
        t = stage_done("audio analysis", t)
        from .motion.plan import make_plan

        plan = make_plan(template, speech, ping_pong(info.frame_count, speech.frame_count), options.motion,
                         options.mouth_weights)
        t = stage_done("motion plan", t)
        engine = registry.create(engine_cls.name, device, settings, engine_options)
        try:
            engine.prepare(RenderJob(video=info, template=template, audio=speech, plan=plan))
            t = stage_done("engine prepare", t)
            total = plan.frame_count
            with VideoWriter(output, info.width, info.height, info.fps, audio, options.encode,
                             alpha=background.alpha) as writer:
                frames = source.read_indices(plan.base_indices)
                batches = _batches(frames, plan.base_indices, options.batch_size)
                while True:
                    t = time.perf_counter()
                    batch = next(batches, None)
                    if batch is None:
                        break
                    t = stage_done("decode", t)
                    if should_cancel and should_cancel():
                        raise JobCanceled(f"canceled at frame {batch.output_indices[0]} of {total}")
                    rendered = engine.render(batch)
                    t = stage_done("render", t)
                    if backdrop is not None:  # before anything drawn over the picture (e.g. captions)
                        rendered = backdrop.apply(rendered, batch.base_indices)
                        t = stage_done("background", t)
                    if captions is not None:
                        rendered = captions.burn(rendered, batch.output_indices)
                    for frame in rendered:
                        writer.write(frame)
                    stage_done("encode", t)
                    done = int(batch.output_indices[-1]) + 1
                    report(0.3 + 0.7 * done / total if template is not None else done / total, f"rendering {done}/{total}")
                t = time.perf_counter()
            stage_done("encode", t)
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
        stage_seconds=stages,
        subtitles=subtitles,
        mouth_sources=engine.mouth_sources(),
    )
    log.info(
        "generated %s: %d frames in %.1f s (%.1f fps) on %s with %s",
        output, result.frames, seconds, result.render_fps, device, engine_cls.name,
    )
    return result
