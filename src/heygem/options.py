"""Options with documented defaults, kept apart from results (types.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

VIDEO_SUFFIXES = (".mp4", ".webm")
"""Extensions of the videos the job service writes: .webm for a transparent background."""
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
"""The x264 presets EncodeOptions.preset accepts, fastest first."""
CRF_RANGE = (0, 51)
"""x264's constant rate factor scale (NVENC's cq uses the same): 0 lossless ... 51 worst."""
TEMPLATE_SYNCS = ("keep", "align")
"""What GenerateOptions.template_sync accepts."""
SPEAKERS = ("template", "other")
"""What GenerateOptions.speaker accepts."""
SUBTITLE_MODES = ("none", "srt", "vtt", "burn")
"""What GenerateOptions.subtitles accepts: no subtitles, a sidecar file, or captions drawn into the
picture (burn also writes the .srt, so the words stay searchable and editable)."""


@dataclass(frozen=True)
class EncodeOptions:
    crf: int = 18
    """x264 constant rate factor: 18 is visually lossless for talking heads."""
    preset: str = "veryfast"
    """x264 speed/size trade-off; slower presets give smaller files at the same quality."""
    audio_bitrate: int = 192_000
    """AAC bit rate of the output's audio track."""
    video_codec: str = "auto"
    """H.264 encoder: "libx264" (CPU), "h264_nvenc" (NVIDIA GPU), or "auto": NVENC when it opens
    on this machine, else libx264 (logged). crf sets NVENC's constant quality (cq) too."""


@dataclass(frozen=True)
class GenerateOptions:
    engine: str = "default"
    """Lip-sync engine name (see `heygem engines`); "default" picks the weight-free engine."""
    device: str = "auto"
    """"auto" (CUDA when usable, else CPU), "cpu", "cuda" or "cuda:N"."""
    motion: str = "learned"
    """How audio drives the mouth: "learned" (the shipped general speech->mouth model calibrated to
    the template's person; a model learned from the template's own speech only where it validates
    better) or "loudness" (loudness alone; an evaluation baseline)."""
    mouth_weights: str | None = None
    """Weights file of the general speech->mouth model; None: the one shipped in the package
    (evaluation passes models trained without the evaluated speaker)."""
    template_sync: str = "keep"
    """A template whose picture and sound are clearly apart (found where the general model's mouths
    from its soundtrack agree best with its real ones): "keep" learns from it as recorded (the
    recording's offset passes partly on to the videos; `heygem eval`, which compares with the
    recording's own video, scores this best); "align" moves its soundtrack back into sync first, so
    that videos made from it keep in sync with new speech (README, "Templates out of sync"). Only
    the person-specific model passes the offset on, so with speaker "other" this changes nothing."""
    speaker: str = "template"
    """Who speaks the new speech: "template" (the template's person, in their own voice: the mouths
    also follow what was learned from the template's soundtrack) or "other" (another person: the
    general model alone, its output over the new speech matched to this person's mouths, without
    the person-specific model, which learned this person's voice; README, "Another voice").
    Speech HeyGem synthesised counts as another voice whatever this says."""
    batch_size: int = 16
    """Frames rendered per engine call; smaller uses less memory."""
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    engine_options: tuple[tuple[str, str], ...] = ()
    """Engine-specific settings as (key, value) pairs, e.g. (("checkpoint", "/models/w.pth"),)."""
    subtitles: str = "none"
    """"none", "srt" or "vtt" (a subtitle file beside the video), or "burn" (captions drawn into the
    picture, plus the .srt)."""
    script: str | None = None
    """The words spoken in the audio, to time subtitles by (text jobs time them from the synthesis)."""
    background: str = "keep"
    """Behind the person: "keep" (the template as is), "green", "blue", "#RRGGBB", "blur", an image
    file (scaled to cover the frame), or "transparent" (a video with alpha: .webm or .mov)."""

    @property
    def output_suffix(self) -> str:
        """Extension of an output file named by the service: .webm when it must carry alpha."""
        return VIDEO_SUFFIXES[1] if self.background.strip().lower() == "transparent" else VIDEO_SUFFIXES[0]


DEFAULTS = GenerateOptions()
"""The defaults front ends show and fall back to (CLI flags, form fields): read from here, not retyped."""
