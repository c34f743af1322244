"""One generation: template + audio -> output video, as a sequence of stages.

    probe -> subtitles -> template analysis -> person matte -> audio analysis -> motion plan
      -> engine prepare -> decode | render | encode -> finish

(the driving audio's phones are decoded in a thread of their own from the template analysis to
the end of the audio analysis, which includes the wait for them).

The stages up to `engine prepare` run one after the other (subtitles and person matte only when
asked for, template analysis only for engines that need a face). Then decode, render and encode run
at the same time, one thread each (flow.py), passing typed batches; the render thread's steps are
to rgb -> render -> background -> burn subtitles -> to yuv (or, where only the engine changes
frames, just the boxes it names: to rgb -> render -> to yuv). Every stage and step is a plain
function that a `Stopwatch` wraps from outside: GenerateResult.stage_seconds holds one entry per
name, each measured in one place.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

import av
import numpy as np

from . import devices
from .analysis.audio import SAMPLE_RATE, analyze_audio
from .config import Settings
from .engines import registry
from .engines.base import Engine, FrameBatch, RenderJob
from .errors import JobCanceled
from .flow import Flow
from .media.decode import VideoSource, load_audio
from .media.encode import VideoWriter, patched_picture, yuv_picture
from .media.yuv import box_to_rgb, even_box
from .motion.timeline import ping_pong
from .options import GenerateOptions
from .render import background as backgrounds
from .types import (AudioAnalysis, Box, CancelCheck, GenerateResult, MotionPlan, ProgressCallback, VideoInfo, never_cancel,
                    no_progress)

if TYPE_CHECKING:
    from .analysis.template import TemplateAnalysis
    from .subtitles.step import SubtitleStep

log = logging.getLogger("heygem.pipeline")

T = TypeVar("T")

ANALYSIS_SHARE = 0.3
"""Share of the progress bar for the template's face analysis (engines that need one); rendering
fills the rest. On a template's first use the analysis costs about 11 ms of CPU per 720p template
frame and an output frame (decode, render, encode) about 22 ms (README, Performance): for a
template as long as the speech, a third of the work. The person matte and the engine's own
preparation (first use only) then show their messages with the bar held at this share, so it never
runs backwards; with a cached template the bar starts here."""
DECODED_AHEAD = 64 * 2**20
"""Bytes of decoded template frames that may wait for the render stage: they decode while the plan
and the engine's set-up (one thread) leave a core idle (480p ~100 frames, 1080p ~20). A looped
template's decoder holds them anyway (media.decode.DECODED_BUDGET)."""


class Stopwatch:
    """Seconds spent per stage name. Stages in different threads run at the same time, so their
    sum can exceed the wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def timed(self, name: str, stage: Callable[..., T]) -> Callable[..., T]:
        """`stage`, adding the time of each call to `name`."""

        def run(*args, **kwargs) -> T:
            since = time.perf_counter()
            try:
                return stage(*args, **kwargs)
            finally:
                self._add(name, time.perf_counter() - since)

        return run

    def run(self, name: str, stage: Callable[..., T], *args, **kwargs) -> T:
        """Call `stage` once, timed as `name`."""
        return self.timed(name, stage)(*args, **kwargs)

    def each(self, name: str, items: Iterable[T]) -> Iterator[T]:
        """The items, adding the time taken to produce each one to `name` (not the time the
        consumer spends between them). Closing this closes `items`."""
        iterator = iter(items)
        try:
            while True:
                since = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    return
                finally:
                    self._add(name, time.perf_counter() - since)
                yield item
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds


class ProgressBar:
    """The job's one progress bar (0..1): the template's analysis first, then rendering."""

    def __init__(self, report: ProgressCallback, analysed: bool):
        self.report = report
        self.rendering_from = ANALYSIS_SHARE if analysed else 0.0

    def analysis(self, fraction: float, message: str) -> None:
        self.report(self.rendering_from * fraction, message)

    def held(self, fraction: float, message: str) -> None:
        """Preparation after the analysis (person matte, engine): its message, the bar held."""
        self.report(self.rendering_from, message)

    def rendered(self, done: int, total: int) -> None:
        self.report(self.rendering_from + (1 - self.rendering_from) * done / total, f"rendering {done}/{total}")


# --- the payloads of the streamed stages ------------------------------------------------------


@dataclass(frozen=True)
class DecodedBatch:
    """Consecutive output frames as decoded: the template picture under each, yuv420p (half the
    memory of RGB while it waits for the render thread)."""

    output_indices: np.ndarray  # (b,) int
    base_indices: np.ndarray  # (b,) int, the template frame under each output frame
    pictures: list[av.VideoFrame]


@dataclass(frozen=True)
class FinishedBatch:
    """The same frames, finished, as the writer takes them: a decoded yuv420p picture (with what a
    step changed converted back into it), a converted one, or an RGBA array (transparent background)."""

    output_indices: np.ndarray  # (b,) int
    pictures: list[av.VideoFrame | np.ndarray]


# --- the stages ---------------------------------------------------------------------------------


def _subtitles(options: GenerateOptions, audio: str | Path, samples: np.ndarray,
               info: VideoInfo) -> SubtitleStep | None:
    """The subtitles step (cues, burning, file), or None when none were asked for."""
    from .subtitles.step import SubtitleStep

    return SubtitleStep.prepare(options.subtitles, options.script, audio, samples, info.width, info.height,
                                float(info.fps))


def _template_analysis(source: VideoSource, settings: Settings, progress: ProgressCallback,
                       should_cancel: CancelCheck) -> TemplateAnalysis:
    from .analysis.template import load_or_analyze

    return load_or_analyze(source, settings, progress, should_cancel)


def _person_matte(background: backgrounds.Background, source: VideoSource, template: TemplateAnalysis | None,
                  settings: Settings, progress: ProgressCallback,
                  should_cancel: CancelCheck) -> backgrounds.BackgroundStep:
    """The step that puts rendered frames over the new background: the person matte comes from the
    template cache, computed on first use."""
    from .analysis.matte import load_or_compute

    matte = load_or_compute(source, settings, progress, should_cancel,
                            template.sha256 if template is not None else None)
    return backgrounds.BackgroundStep(background, matte, template)


def _motion_plan(template: TemplateAnalysis | None, speech: AudioAnalysis, base_indices: np.ndarray,
                 options: GenerateOptions, audio: str | Path) -> MotionPlan:
    """The plan; synthesised speech is never the template person's own voice (GenerateOptions.speaker)."""
    from .motion.plan import make_plan
    from .tts import sidecars

    speaker = "other" if sidecars.synthesised(audio) else options.speaker
    return make_plan(template, speech, base_indices, options.motion, options.mouth_weights, options.template_sync,
                     speaker)


def _phones(options: GenerateOptions, audio: str | Path, samples: np.ndarray, info: VideoInfo) -> np.ndarray | None:
    """The driving audio's phones per output frame, when the mouth model listens to them: for
    synthesised speech the synthesiser's own phoneme timings (exact, and they validated better:
    training/validate_tts_phones.py), else decoded (~3 s of CPU per minute of speech, in worker
    processes where there are cores for them: the pipeline waits for them while it reads the
    template analysis and analyses the audio)."""
    from .analysis.audio import frame_count
    from .analysis.phones import phone_shares, timed_phone_shares
    from .motion import general
    from .tts import sidecars

    if options.motion != "learned" or not general.load(options.mouth_weights).feature_set.startswith("mel+phones"):
        return None
    count = frame_count(len(samples), SAMPLE_RATE, info.fps)
    known = sidecars.load(audio, "phonemes")
    if known:
        log.info("mouth phones from the speech synthesis (%d phonemes)", len(known))
        return timed_phone_shares(known, info.fps, count)
    return phone_shares(samples, info.fps, count)


def _decode(source: VideoSource, base_indices: np.ndarray, size: int) -> Iterator[DecodedBatch]:
    pictures = source.read_decoded(base_indices)
    for start in range(0, len(base_indices), size):
        indices = np.arange(start, min(start + size, len(base_indices)))
        yield DecodedBatch(indices, base_indices[indices], [next(pictures) for _ in indices])


def _batches_ahead(source: VideoSource, size: int) -> int:
    """How many decoded batches may wait for the render: DECODED_AHEAD bytes of frames (at least one
    batch)."""
    return max(1, DECODED_AHEAD // (size * source.frame_bytes()))


def _to_rgb(source: VideoSource, pictures: list[av.VideoFrame]) -> list[np.ndarray]:
    """The base frames as RGB, read-only: a step changing a frame makes a new array, so one that
    comes back as the same array is known to be unchanged."""
    frames = [source.to_rgb(picture) for picture in pictures]
    for frame in frames:
        frame.flags.writeable = False
    return frames


def _to_yuv(source: VideoSource, bases: list[np.ndarray], finished: list[np.ndarray],
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


def _boxes_to_rgb(pictures: list[av.VideoFrame], boxes: list[Box]) -> list[np.ndarray]:
    """The boxes of the decoded pictures as RGB, read-only (see _to_rgb)."""
    crops = [box_to_rgb(picture, box) for picture, box in zip(pictures, boxes)]
    for crop in crops:
        crop.flags.writeable = False
    return crops


def _boxes_to_yuv(pictures: list[av.VideoFrame], boxes: list[Box], crops: list[np.ndarray],
                  finished: list[np.ndarray]) -> list[av.VideoFrame]:
    """Each finished box converted back into a copy of its decoded picture, only where the engine
    changed it (as _to_yuv does with whole frames, so both give the encoder the same pictures)."""
    return [patched_picture(picture, crop, frame, box[:2])
            for picture, box, crop, frame in zip(pictures, boxes, crops, finished)]


def _renderer(source: VideoSource, engine: Engine, backdrop: backgrounds.BackgroundStep | None,
              captions: SubtitleStep | None, watch: Stopwatch) -> Callable[[DecodedBatch], FinishedBatch]:
    """The render thread's work on one batch, each step timed under its own name. Whole frames:
    to rgb -> render -> background -> burn subtitles -> to yuv. Where no step after the engine
    needs whole frames, the engine names the boxes it changes and the pictures pass through as
    decoded, only those boxes go: to rgb -> render -> to yuv (see engines.base)."""
    to_rgb = watch.timed("to rgb", partial(_to_rgb, source))
    render = watch.timed("render", engine.render)
    # The seam: finished RGB frames, in output order, on their way to the encoder. A step added
    # here returns new arrays for the frames it changes (the decoded ones are read-only; one that
    # comes back unchanged is encoded from its YUV picture). The background goes first, under
    # anything drawn over the picture (captions).
    steps: list[Callable[[list[np.ndarray], DecodedBatch], list[np.ndarray]]] = []
    if backdrop is not None:
        steps.append(watch.timed("background", lambda frames, batch: backdrop.apply(frames, batch.base_indices)))
    if captions is not None:
        steps.append(watch.timed("burn subtitles", lambda frames, batch: captions.burn(frames, batch.output_indices)))
    to_yuv = watch.timed("to yuv", partial(_to_yuv, source))
    changed_boxes = watch.timed("render", engine.changed_boxes)
    boxes_to_rgb = watch.timed("to rgb", _boxes_to_rgb)
    boxes_to_yuv = watch.timed("to yuv", _boxes_to_yuv)
    width, height = source.info.width, source.info.height

    def whole_frames(batch: DecodedBatch) -> FinishedBatch:
        bases = to_rgb(batch.pictures)
        frames = render(FrameBatch(batch.output_indices, batch.base_indices, bases))
        for step in steps:
            frames = step(frames, batch)
        return FinishedBatch(batch.output_indices, to_yuv(bases, frames, batch.pictures))

    def boxes_only(batch: DecodedBatch, boxes: list[Box | None]) -> FinishedBatch:
        pictures: list[av.VideoFrame | np.ndarray] = list(batch.pictures)
        todo = [k for k, box in enumerate(boxes) if box is not None]
        if todo:
            even = [even_box(boxes[k], width, height) for k in todo]
            decoded = [batch.pictures[k] for k in todo]
            crops = boxes_to_rgb(decoded, even)
            frames = render(FrameBatch(batch.output_indices[todo], batch.base_indices[todo], crops,
                                       np.array([box[:2] for box in even])))
            for k, picture in zip(todo, boxes_to_yuv(decoded, even, crops, frames)):
                pictures[k] = picture
        return FinishedBatch(batch.output_indices, pictures)

    def run(batch: DecodedBatch) -> FinishedBatch:
        if not steps and all(source.passes_through(picture) for picture in batch.pictures):
            boxes = changed_boxes(batch.output_indices, batch.base_indices)
            if boxes is not None:
                return boxes_only(batch, boxes)
        return whole_frames(batch)

    return run


def _write(writer: VideoWriter, batch: FinishedBatch) -> None:
    for picture in batch.pictures:
        writer.write(picture)


def _stream(flow: Flow, decoded: Iterator[DecodedBatch], total: int, render: Callable[[DecodedBatch], FinishedBatch],
            writer: VideoWriter, bar: ProgressBar, should_cancel: CancelCheck, watch: Stopwatch) -> None:
    """decoded (a stage of flow) -> render -> encode, each in its own thread (encode in this one,
    so progress and cancel callbacks run where the caller expects them), then finish the file."""
    encode = watch.timed("encode", _write)
    for batch in flow.start("render", map(render, decoded)):
        if should_cancel():
            raise JobCanceled(f"canceled at frame {batch.output_indices[0]} of {total}")
        encode(writer, batch)
        bar.rendered(int(batch.output_indices[-1]) + 1, total)
    watch.run("finish", writer.finish)


_opencv_lock = threading.Lock()
_opencv_streams = 0  # jobs streaming with OpenCV on one thread (a service runs jobs side by side)
_opencv_default = 0


@contextmanager
def _opencv_on_one_thread(wanted: bool) -> Iterator[None]:
    """OpenCV on one thread while a job streams lower-face boxes and encodes on the CPU: OpenCV
    splits even a face-sized box between its threads, which costs CPU for no gain in time (the
    480p render on its own: 1.7 ms of CPU per frame with them, 1.0 without, the same time), CPU
    that the encoder needs: the stages already run side by side. Whole-frame steps (background,
    subtitles) keep its threads, as do jobs encoding on the GPU, where the render may be what the
    job waits for."""
    global _opencv_streams, _opencv_default
    if not wanted:
        yield
        return
    import cv2

    with _opencv_lock:
        if _opencv_streams == 0:
            _opencv_default = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _opencv_streams += 1
    try:
        yield
    finally:
        with _opencv_lock:
            _opencv_streams -= 1
            if _opencv_streams == 0:
                cv2.setNumThreads(_opencv_default)


RENDER_NICENESS = 10
"""How many nice steps below the encoder the render thread runs while a job streams lower-face
boxes and encodes on the CPU. x264's frame threads wait on each other, so one of them kept off a
core by the render stalls the others; the render, a small share of the work with a queue ahead of
it, then fills the gaps the encoder leaves instead. Where the encoder is on the GPU, or whole-frame
steps make the render the heavier stage, it keeps its priority."""


def _behind_the_encoder(render: Callable[[DecodedBatch], FinishedBatch]) -> Callable[[DecodedBatch], FinishedBatch]:
    """`render`, lowering the priority of the thread it runs in (the render stage's own) on its first
    call, by RENDER_NICENESS. Only where threads have priorities of their own (Linux): elsewhere it
    would slow the encoder too."""
    lowered = False

    def run(batch: DecodedBatch) -> FinishedBatch:
        nonlocal lowered
        if not lowered and sys.platform.startswith("linux"):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + RENDER_NICENESS))
        lowered = True
        return render(batch)

    return run


def run(
    video: str | Path,
    audio: str | Path,
    output: str | Path,
    options: GenerateOptions = GenerateOptions(),
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> GenerateResult:
    """Generate `output` (mp4; webm/mov for a transparent background) where the person in `video`
    speaks `audio`."""
    settings = settings or Settings.from_env()
    cancel = should_cancel or never_cancel
    started = time.perf_counter()
    watch = Stopwatch()
    device = devices.resolve(options.device)
    engine_cls = registry.get(options.engine)
    bar = ProgressBar(progress or no_progress, engine_cls.needs_face_analysis)
    background = backgrounds.parse(options.background)  # a bad value or image fails before any work
    backgrounds.check_output(background, output)
    bar.report(0.0, "reading inputs")
    with VideoSource(video) as source:
        info = source.info
        samples = watch.run("probe", load_audio, audio, SAMPLE_RATE)
        captions = None
        if options.subtitles != "none":  # before the slow stages: a bad script fails fast
            captions = watch.run("subtitles", _subtitles, options, audio, samples, info)
        targets_wanted = engine_cls.needs_face_analysis and engine_cls.follows_mouth_targets
        with ThreadPoolExecutor(1, "heygem-phones") as ahead:
            phones = ahead.submit(_phones, options, audio, samples, info) if targets_wanted else None
            template = None
            if engine_cls.needs_face_analysis:
                template = watch.run("template analysis", _template_analysis, source, settings, bar.analysis, cancel)
            backdrop = None
            if background.kind != backgrounds.KEEP:
                backdrop = watch.run("person matte", _person_matte, background, source, template, settings,
                                     bar.held, cancel)
            speech = watch.run("audio analysis", analyze_audio, samples, info.fps)
            if phones is not None:  # waiting for them counts as the audio analysis
                speech = replace(speech, phones=watch.run("audio analysis", phones.result))
        base_indices = ping_pong(info.frame_count, speech.frame_count)
        with Flow() as flow:
            # The template's frames decode from now on, on the core that the plan and the engine's
            # set-up (one thread) leave idle.
            decoded = flow.start("decode", watch.each("decode", _decode(source, base_indices, options.batch_size)),
                                 _batches_ahead(source, options.batch_size))
            plan = watch.run("motion plan", _motion_plan, template if targets_wanted else None, speech, base_indices,
                             options, audio)
            engine = registry.create(engine_cls.name, device, settings, dict(options.engine_options))
            try:
                watch.run("engine prepare", engine.prepare, RenderJob(info, template, speech, plan), bar.held, cancel)
                with VideoWriter(output, info.width, info.height, info.fps, audio, options.encode,
                                 alpha=background.alpha) as writer:
                    boxes_on_cpu = backdrop is None and captions is None and not writer.encodes_on_gpu
                    render = _renderer(source, engine, backdrop, captions, watch)
                    with _opencv_on_one_thread(boxes_on_cpu):
                        _stream(flow, decoded, plan.frame_count, _behind_the_encoder(render) if boxes_on_cpu else render,
                                writer, bar, cancel, watch)
                subtitles = captions.write(output) if captions is not None else None
            finally:
                engine.release()
                devices.release(device)
    seconds = time.perf_counter() - started
    bar.report(1.0, "done")
    result = GenerateResult(
        output=Path(output),
        frames=plan.frame_count,
        fps=info.fps,
        seconds=seconds,
        device=device,
        engine=engine_cls.name,
        stage_seconds=watch.seconds,
        subtitles=subtitles,
        mouth_sources=engine.mouth_sources(),
    )
    log.info(
        "generated %s: %d frames in %.1f s (%.1f fps) on %s with %s",
        output, result.frames, seconds, result.render_fps, device, engine_cls.name,
    )
    return result
