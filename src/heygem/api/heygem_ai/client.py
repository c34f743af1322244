"""What the HeyGem.ai desktop client expects of its services: ports, folders, result files.

The client keeps templates and speech in <data>/face2face/temp and voice recordings in
<data>/voice/data, sends paths relative to those folders, and opens a finished video from disk at
path.join(<data>/face2face/temp, data.result). So results are written beside their template.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ...errors import InputError
from ...service import Job

DATA_ENV, VIDEO_PORT_ENV, TTS_PORT_ENV = "HEYGEM_AI_DATA", "HEYGEM_AI_VIDEO_PORT", "HEYGEM_AI_TTS_PORT"


@dataclass(frozen=True)
class DesktopClient:
    data_dir: Path = Path("~/duix_avatar_data")
    """The client's data folder (HEYGEM_AI_DATA). Older HeyGem.ai releases used ~/heygem_data."""
    video_port: int = 8383
    """Where the client calls its video service (HEYGEM_AI_VIDEO_PORT); fixed to 8383 in the client."""
    tts_port: int = 18180
    """Where the client calls its voice service (HEYGEM_AI_TTS_PORT); fixed to 18180 in the client."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DesktopClient:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(Path(env.get(DATA_ENV, str(defaults.data_dir))),
                   int(env.get(VIDEO_PORT_ENV, defaults.video_port)),
                   int(env.get(TTS_PORT_ENV, defaults.tts_port)))

    def with_overrides(self, **changes) -> DesktopClient:
        """Copy with the given fields changed; None values (flags not given) are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def root(self) -> Path:
        # Real paths, so every check compares what the file system will really open.
        return Path(os.path.realpath(self.data_dir.expanduser()))

    @property
    def video_dir(self) -> Path:
        """Templates, speech for video jobs and finished videos."""
        return self.root / "face2face" / "temp"

    @property
    def voice_dir(self) -> Path:
        """Voice recordings the voice service reads (and the 16 kHz copies it makes)."""
        return self.root / "voice" / "data"

    def make_folders(self) -> None:
        for folder in (self.video_dir, self.voice_dir):
            folder.mkdir(parents=True, exist_ok=True)

    # --- results (called by the /easy routes when this server runs for the client) ---------------

    def result_for(self, video: Path, code: str, suffix: str = ".mp4") -> Path:
        """Where a job's result goes: `<code>-r.mp4` (HeyGem.ai's name; `suffix` .webm for a video
        with alpha) in its template's folder (the video folder for a downloaded template). Never
        over an existing file."""
        folder = video.parent if video.is_relative_to(self.video_dir) else self.video_dir
        target = folder / f"{code}-r{suffix}"
        if target.exists():
            raise InputError(f"the result file {target.name} already exists; submit with a new code")
        return target

    def result_name(self, job: Job) -> str:
        """data.result: the result's path relative to the video folder, as the client joins it."""
        delivered = job.inputs.deliver_to
        if delivered is not None and delivered.is_relative_to(self.video_dir):
            return delivered.relative_to(self.video_dir).as_posix()
        return f"/{job.output.name}" if job.output else ""  # a job submitted on another port
