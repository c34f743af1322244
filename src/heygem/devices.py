"""The one module that asks torch about CUDA: resolve a device name, describe it, probe memory."""

from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import DeviceError
from .units import GIB

log = logging.getLogger("heygem.devices")


@dataclass(frozen=True)
class DeviceReport:
    device: str  # "cpu" or "cuda:N"
    message: str  # one line for users and the log


NVIDIA_PCI_VENDOR = "0x10de"
NVIDIA_SIGNS = ("proc/driver/nvidia", "dev/nvidiactl", "dev/nvidia0", "dev/dxg", "dev/nvhost-ctrl-gpu")
"""Paths that mean an NVIDIA GPU may be reachable: the driver, its device nodes, WSL's GPU bridge,
Jetson's integrated GPU."""


def no_nvidia_gpu(root: Path = Path("/")) -> bool:
    """True only where no NVIDIA GPU can be reached: on Linux, none of NVIDIA_SIGNS and no NVIDIA
    device on a readable PCI bus. Then CUDA cannot be usable, and importing torch to hear so (~1.7 s
    of CPU and ~220 MB, paid by every `heygem generate`) is skipped. Elsewhere, and at any sign of
    one, False: torch decides."""
    if not sys.platform.startswith("linux") or any((root / sign).exists() for sign in NVIDIA_SIGNS):
        return False
    devices = list((root / "sys/bus/pci/devices").glob("*"))
    for device in devices:
        try:
            if (device / "vendor").read_text().strip() == NVIDIA_PCI_VENDOR:
                return False
        except OSError:
            return False  # cannot tell
    return bool(devices)


def _cuda_problem() -> str | None:
    """None when CUDA is usable, else why not."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed"
    if no_nvidia_gpu():
        return "no NVIDIA GPU found"
    import torch

    if not torch.backends.cuda.is_built():
        return "this PyTorch build has no CUDA support"
    if not torch.cuda.is_available():
        return "no NVIDIA GPU or driver found"
    return None


def resolve(spec: str = "auto") -> str:
    """Turn "auto" | "cpu" | "cuda" | "cuda:N" into a concrete device name; explicit CUDA without one is an error."""
    spec = (spec or "auto").strip().lower()
    if spec == "cpu":
        return "cpu"
    if spec == "auto":
        return "cuda:0" if _cuda_problem() is None else "cpu"
    if spec == "cuda" or spec.startswith("cuda:"):
        problem = _cuda_problem()
        if problem:
            raise DeviceError(f"device {spec!r} requested but CUDA is not usable: {problem}")
        import torch

        index = int(spec.split(":", 1)[1]) if ":" in spec else 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {spec!r} requested but only {torch.cuda.device_count()} GPU(s) exist")
        return f"cuda:{index}"
    raise DeviceError(f"unknown device {spec!r}: use auto, cpu, cuda or cuda:N")


def gpu_count() -> int:
    """How many CUDA devices this machine can use (0 without a usable CUDA)."""
    if _cuda_problem() is not None:
        return 0
    import torch

    return int(torch.cuda.device_count())


def memory(device: str) -> tuple[int, int]:
    """(free, total) bytes on a CUDA device; (0, 0) on the CPU."""
    if not device.startswith("cuda"):
        return 0, 0
    import torch

    free, total = torch.cuda.mem_get_info(torch.device(device))
    return int(free), int(total)


def report(spec: str = "auto") -> DeviceReport:
    """Resolve and describe the device in the words start_app.sh and the UI print."""
    device = resolve(spec)
    if device.startswith("cuda"):
        import torch

        free, total = memory(device)
        name = torch.cuda.get_device_name(torch.device(device))
        message = f"CUDA detected: {name}, {free / GIB:.1f}/{total / GIB:.1f} GiB — GPU acceleration on"
    else:
        why = "cpu requested" if spec == "cpu" else _cuda_problem() or "cpu requested"
        message = f"No usable GPU ({why}) — running on CPU"
    return DeviceReport(device, message)


def release(device: str) -> None:
    """Give cached GPU memory back after a job."""
    if device.startswith("cuda"):
        import gc

        import torch

        gc.collect()
        torch.cuda.empty_cache()
