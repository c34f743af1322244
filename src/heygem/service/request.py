"""What a caller asks the job service for: JobRequest (one video) and BatchRequest (several).

The one home of job policy that needs no files and no server state: audio or text (not both), the
batch shapes, the job-id rule and the option ranges. Front ends (CLI, REST API, /easy, web UI)
translate their input into a request; building it checks the rules, so every front end refuses
the same things with the same words. What needs the files or this machine (a file's size and
type, the engine's availability, the device) the service checks on submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..options import CRF_RANGE, SUBTITLE_MODES, X264_PRESETS, GenerateOptions
from ..tts.synth import MAX_TEXT_CHARS

JOB_ID_CHARS = r"[A-Za-z0-9_-]{1,64}"
"""Job (and batch) ids: safe in file names and URLs, and HeyGem.ai's task codes fit."""
JOB_ID_RULE = "1-64 letters, digits, '-' or '_'"
NO_SPEECH = "give an audio file or text to speak"
BOTH_SPEECH = "give either an audio file or text to speak, not both"
BATCH_SHAPE = ("a batch is one audio (or text) with one or more templates, "
               "or one template with one or more audios")


def check_job_id(value: str, what: str = "job id") -> str:
    """`value` when it is a valid id; InputError naming it as `what` otherwise."""
    if not re.fullmatch(JOB_ID_CHARS, value):
        raise InputError(f"{what} must be {JOB_ID_RULE}, got {value!r}")
    return value


def check_options(options: GenerateOptions) -> None:
    """InputError for an option outside its range (the checks that need no machine)."""
    if options.subtitles not in SUBTITLE_MODES:
        raise InputError(f"subtitles must be one of {', '.join(SUBTITLE_MODES)}, got {options.subtitles!r}")
    if options.script is not None and len(options.script) > MAX_TEXT_CHARS:
        raise InputError(f"script is {len(options.script)} characters long; the limit is {MAX_TEXT_CHARS}")
    if options.batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {options.batch_size}")
    low, high = CRF_RANGE
    if not low <= options.encode.crf <= high:
        raise InputError(f"crf must be from {low} to {high}, got {options.encode.crf}")
    if options.encode.preset not in X264_PRESETS:
        raise InputError(f"preset must be one of {', '.join(X264_PRESETS)}, got {options.encode.preset!r}")


def _spoken(text: str | None) -> str | None:
    """Text to speak, or None when it is missing or blank (a blank form field means no text)."""
    return text if text is not None and text.strip() else None


def _check_speech(audio: Path | None, text: str | None) -> None:
    if audio is None and text is None:
        raise InputError(NO_SPEECH)
    if audio is not None and text is not None:
        raise InputError(BOTH_SPEECH)
    if text is not None and len(text) > MAX_TEXT_CHARS:  # refused now rather than when its job runs
        raise InputError(f"text is {len(text)} characters long; the limit is {MAX_TEXT_CHARS}")


@dataclass(frozen=True)
class JobRequest:
    """One video: a template with an audio file, or with text to speak. Invalid ones cannot be built."""

    video: Path
    """The template: a video of the person talking."""
    audio: Path | None = None
    """The speech; None when `text` is given."""
    text: str | None = None
    """Words to speak (TTS) instead of `audio`; blank counts as none."""
    voice: str | None = None
    """TTS voice for `text`; None picks one by the text's language."""
    name: str | None = None
    """Label for lists and downloads; None: "<template> + <audio>"."""
    job_id: str | None = None
    """The id to give the job (e.g. a HeyGem.ai task code); None: a new random one."""
    deliver_to: Path | None = None
    """A file where a copy of the finished video is also written (the HeyGem.ai desktop client)."""
    options: GenerateOptions = field(default_factory=GenerateOptions)

    def __post_init__(self) -> None:
        # Front ends pass strings; the request holds Paths (frozen: set through object.__setattr__).
        object.__setattr__(self, "video", Path(self.video))
        object.__setattr__(self, "audio", None if self.audio is None else Path(self.audio))
        object.__setattr__(self, "deliver_to", None if self.deliver_to is None else Path(self.deliver_to))
        object.__setattr__(self, "text", _spoken(self.text))
        _check_speech(self.audio, self.text)
        if self.job_id is not None:
            check_job_id(self.job_id)
        check_options(self.options)


@dataclass(frozen=True)
class BatchRequest:
    """Several videos queued together: one audio (or text) over `videos`, or `audios` over one `video`."""

    videos: tuple[Path, ...] = ()
    """Templates that all say the one `audio` or `text`."""
    audio: Path | None = None
    text: str | None = None
    voice: str | None = None
    audios: tuple[Path, ...] = ()
    """Speeches that the one template `video` says, one video each."""
    video: Path | None = None
    options: GenerateOptions = field(default_factory=GenerateOptions)

    def __post_init__(self) -> None:
        object.__setattr__(self, "videos", tuple(Path(v) for v in self.videos))
        object.__setattr__(self, "audios", tuple(Path(a) for a in self.audios))
        object.__setattr__(self, "audio", None if self.audio is None else Path(self.audio))
        object.__setattr__(self, "video", None if self.video is None else Path(self.video))
        object.__setattr__(self, "text", _spoken(self.text))
        if self.one_template:
            if self.audio is not None or self.text is not None:
                raise InputError(BATCH_SHAPE)
        elif self.videos and not self.audios and self.video is None:
            _check_speech(self.audio, self.text)
        else:
            raise InputError(BATCH_SHAPE)
        check_options(self.options)

    @property
    def one_template(self) -> bool:
        """True: `audios` over the one template `video`; False: one audio or text over `videos`."""
        return self.video is not None and bool(self.audios) and not self.videos
