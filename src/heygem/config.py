"""Settings from the environment (HEYGEM_*); front ends override them from their flags."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .units import MB

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_loopback(host: str) -> bool:
    """True for "localhost" (and names under .localhost) and loopback addresses, e.g. 127.0.0.2, [::1]."""
    host = host.strip().lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another name: it may well resolve to a public interface


@dataclass(frozen=True)
class SizeLimit:
    """A file size limit: the Settings field that holds it (bytes), its variable (MB) and default (MB)."""

    field: str
    env: str
    default_mb: int


SIZE_LIMITS = {
    "video": SizeLimit("max_video_bytes", "HEYGEM_MAX_VIDEO_MB", 500),
    "audio": SizeLimit("max_audio_bytes", "HEYGEM_MAX_AUDIO_MB", 100),
    "batch": SizeLimit("max_batch_bytes", "HEYGEM_MAX_BATCH_MB", 4096),
}
"""Every size limit, by the kind of upload it applies to; the one table the settings, messages and
front ends read."""


def size_limit(kind: str) -> SizeLimit:
    """The limit for a file of this kind: "video", "batch", else the audio one (audio files and images)."""
    return SIZE_LIMITS.get(kind) or SIZE_LIMITS["audio"]


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path("data"))
    """Where uploads, template caches, outputs, the job store and logs live."""
    host: str = "127.0.0.1"
    port: int = 7860
    device: str = "auto"
    api_token: str | None = None
    """When set, every API route and the web UI require it (bearer token)."""
    max_video_bytes: int = SIZE_LIMITS["video"].default_mb * MB
    max_audio_bytes: int = SIZE_LIMITS["audio"].default_mb * MB
    """Also the limit for images (backgrounds, reference voices)."""
    gpu_jobs: int = 1
    """Jobs allowed on one GPU at once (each must also fit the free memory)."""
    cpu_jobs: int = 1
    """Jobs run at once on the CPU."""
    log_level: str = "INFO"
    database_url: str | None = None
    """postgresql://... keeps jobs in PostgreSQL instead of <data>/jobs.sqlite3 (several machines)."""
    broker_url: str | None = None
    """redis://host:6379/0 switches to distributed mode: `heygem worker` processes run the jobs."""
    allowed_hosts: tuple[str, ...] = ()
    """Extra Host names the server answers to (HEYGEM_ALLOWED_HOSTS, comma-separated). Bound to a
    loopback address it otherwise answers only to loopback names (a DNS-rebinding defence)."""
    allow_private_urls: bool = False
    """Let URL downloads (/easy video_url, audio_url) reach loopback, private and link-local
    addresses (HEYGEM_ALLOW_PRIVATE_URLS=1). Off: such a URL is refused like any failed download."""
    max_downloads: int = 4
    """URL downloads in flight at once (HEYGEM_MAX_DOWNLOADS); more are refused as busy."""
    download_timeout_s: float = 120.0
    """Longest one URL download may take (HEYGEM_DOWNLOAD_TIMEOUT_S)."""
    max_batch_bytes: int = SIZE_LIMITS["batch"].default_mb * MB
    """Largest batch request body (HEYGEM_MAX_BATCH_MB); each file also keeps its own limit."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            data_dir=Path(env.get("HEYGEM_DATA_DIR", str(defaults.data_dir))),
            host=env.get("HEYGEM_HOST", defaults.host),
            port=int(env.get("HEYGEM_PORT", defaults.port)),
            device=env.get("HEYGEM_DEVICE", defaults.device),
            api_token=env.get("HEYGEM_API_TOKEN") or None,
            **{limit.field: int(float(env.get(limit.env, limit.default_mb)) * MB) for limit in SIZE_LIMITS.values()},
            gpu_jobs=int(env.get("HEYGEM_GPU_JOBS", defaults.gpu_jobs)),
            cpu_jobs=int(env.get("HEYGEM_CPU_JOBS", defaults.cpu_jobs)),
            log_level=env.get("HEYGEM_LOG_LEVEL", defaults.log_level).upper(),
            database_url=env.get("HEYGEM_DATABASE_URL") or None,
            broker_url=env.get("HEYGEM_BROKER_URL") or None,
            allowed_hosts=tuple(h.strip().lower() for h in env.get("HEYGEM_ALLOWED_HOSTS", "").split(",")
                                if h.strip()),
            allow_private_urls=env.get("HEYGEM_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes", "on"),
            max_downloads=int(env.get("HEYGEM_MAX_DOWNLOADS", defaults.max_downloads)),
            download_timeout_s=float(env.get("HEYGEM_DOWNLOAD_TIMEOUT_S", defaults.download_timeout_s)),
        )

    def max_bytes(self, kind: str) -> int:
        """The size limit for a file of this kind ("video", "audio", "image", "batch"), in bytes."""
        return getattr(self, size_limit(kind).field)

    def with_overrides(self, **changes) -> "Settings":
        """Copy with the given fields changed; None values are ignored (flags not given)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "data_dir" in changes:
            changes["data_dir"] = Path(changes["data_dir"])
        return replace(self, **changes)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def templates_dir(self) -> Path:
        return self.data_dir / "templates"

    @property
    def outputs_dir(self) -> Path:
        return self.data_dir / "outputs"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "heygem.log"

    @property
    def job_db(self) -> Path:
        return self.data_dir / "jobs.sqlite3"


def redact(url: str) -> str:
    """A server URL without its user and password, for logs and messages."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}"
