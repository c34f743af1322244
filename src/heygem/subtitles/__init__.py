"""Subtitles: timed text (from the synthesis, a script aligned to the audio, or recognition) ->
readable cues -> .srt/.vtt files and captions burned into the frames.

Modules, one job each: timing.py (where timings come from), align.py (script/audio alignment and
recognition), cues.py (cue rules), formats.py (SRT/WebVTT), burn.py (drawing), step.py (the
pipeline's step).
"""

from .cues import Cue, Phrase, build_cues
from .formats import sidecar_path, to_srt, to_vtt
from .timing import phrases_for

__all__ = ["Cue", "Phrase", "build_cues", "phrases_for", "sidecar_path", "to_srt", "to_vtt"]
