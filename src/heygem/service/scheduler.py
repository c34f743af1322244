"""Which queued job runs next, and where: queue order per device, slots per device, and on a GPU
only when the job's memory estimate fits what is free."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import devices
from ..config import Settings
from ..errors import HeyGemError
from ..units import GIB
from .jobs import Job

log = logging.getLogger("heygem.service.scheduler")

BASE_GPU_BYTES = 1 * GIB
"""Per-job GPU memory besides frames: CUDA context share, model weights, workspaces."""
BYTES_PER_PIXEL = 3 * 4 * 8
"""Per frame in a batch: RGB as float32, about eight live copies while warping and blending."""
DEFAULT_FRAME_PIXELS = 1920 * 1080
"""Assumed frame size when the template cannot be probed (it will fail in the pipeline anyway)."""

MemoryProbe = Callable[[str], tuple[int, int]]
"""device -> (free, total) bytes, like devices.memory."""
Estimate = Callable[[Job, str], int]
"""(job, device) -> GPU bytes it will need."""


def estimate_memory(job: Job, device: str) -> int:
    """GPU bytes a job needs: the engine's own `memory_estimate(width, height, batch_size)` when it
    has one, else BASE_GPU_BYTES plus a batch of full frames."""
    from ..engines import registry
    from ..media.decode import probe_video

    try:
        info = probe_video(job.inputs.video)
        width, height = info.width, info.height
    except HeyGemError:
        width, height = DEFAULT_FRAME_PIXELS, 1
    engine = registry.get(job.options.engine)
    custom = getattr(engine, "memory_estimate", None)
    if custom is not None:
        return int(custom(width, height, job.options.batch_size))
    return BASE_GPU_BYTES + job.options.batch_size * width * height * BYTES_PER_PIXEL


@dataclass
class DeviceSlots:
    """Jobs running on one device (in this process) and the GPU memory reserved for them."""

    limit: int
    running: dict[str, int] = field(default_factory=dict)  # job id -> reserved bytes

    @property
    def reserved(self) -> int:
        return sum(self.running.values())


class Scheduler:
    """Decides admissions; the service claims the job in the store and starts its worker."""

    def __init__(self, settings: Settings, default_device: str, probe: MemoryProbe | None = None,
                 estimate: Estimate | None = None):
        self.default_device = default_device
        self.settings = settings
        self.probe = probe or devices.memory
        self.estimate = estimate or estimate_memory
        self._slots: dict[str, DeviceSlots] = {}
        self._estimates: dict[str, int] = {}
        self._lock = threading.Lock()

    def slots(self, device: str) -> DeviceSlots:
        with self._lock:
            if device not in self._slots:
                limit = self.settings.gpu_jobs if device.startswith("cuda") else self.settings.cpu_jobs
                self._slots[device] = DeviceSlots(max(1, limit))
            return self._slots[device]

    def limits(self) -> dict[str, int]:
        self.slots(self.default_device)
        with self._lock:
            return {device: s.limit for device, s in self._slots.items()}

    def device_for(self, job: Job) -> str:
        """Where the job runs: its own device option, or the service's device for "auto".
        Raises DeviceError when the job asks for a device this machine lacks."""
        spec = (job.options.device or "auto").strip().lower()
        return self.default_device if spec == "auto" else devices.resolve(spec)

    def admit(self, job: Job, device: str) -> tuple[bool, str]:
        """(True, "") to run the job now on `device`, reserving its memory; else (False, why it waits)."""
        slots = self.slots(device)
        with self._lock:
            if len(slots.running) >= slots.limit:
                return False, f"waiting for a free {device} slot ({len(slots.running)}/{slots.limit} busy)"
            if not device.startswith("cuda"):
                slots.running[job.id] = 0
                return True, ""
        need = self._estimates.get(job.id)
        if need is None:  # once per waiting job: the default estimate probes the template file
            if len(self._estimates) > 256:
                self._estimates.clear()  # jobs canceled while waiting never reach done()
            need = self._estimates[job.id] = self.estimate(job, device)
        free, total = self.probe(device)
        with self._lock:
            # The probe does not yet see memory that jobs admitted moments ago are about to allocate,
            # so what we reserved for our running jobs is subtracted from the total as well.
            available = min(free, total - slots.reserved)
            if need > available and slots.running:
                return False, f"waiting for GPU memory (needs {need / GIB:.1f} GiB, {max(available, 0) / GIB:.1f} free)"
            if need > available:
                # Nothing of ours runs there: waiting would not free anything we control. Try; an
                # out-of-memory error falls back to a smaller batch, then the CPU.
                log.warning("job %s needs about %.1f GiB but %s has %.1f GiB free; trying anyway",
                            job.id, need / GIB, device, free / GIB)
            slots.running[job.id] = need
            return True, ""

    def done(self, job_id: str, device: str) -> None:
        """The job's worker finished: its slot and memory reservation are free."""
        with self._lock:
            slots = self._slots.get(device)
            if slots is not None:
                slots.running.pop(job_id, None)
            self._estimates.pop(job_id, None)

    def busy(self) -> bool:
        with self._lock:
            return any(s.running for s in self._slots.values())
