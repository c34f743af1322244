import subprocess
import sys

import pytest

from heygem import devices
from heygem.errors import DeviceError


def test_auto_falls_back_to_cpu_with_reason():
    report = devices.report("auto")
    if report.device == "cpu":
        assert report.message.startswith("No usable GPU (") and "running on CPU" in report.message
    else:
        assert report.message.startswith("CUDA detected:")


def test_explicit_and_unknown_devices():
    assert devices.resolve("cpu") == "cpu"
    assert devices.memory("cpu") == (0, 0)
    with pytest.raises(DeviceError, match="unknown device"):
        devices.resolve("tpu")
    if devices.resolve("auto") == "cpu":
        with pytest.raises(DeviceError, match="CUDA is not usable"):
            devices.resolve("cuda:0")


def fake_machine(root, vendors=(), signs=()):
    for k, vendor in enumerate(vendors):
        device = root / "sys/bus/pci/devices" / f"0000:00:{k:02x}.0"
        device.mkdir(parents=True)
        (device / "vendor").write_text(f"{vendor}\n")
    for sign in signs:
        (root / sign).parent.mkdir(parents=True, exist_ok=True)
        (root / sign).touch()
    return root


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hardware is read from Linux's /sys and /dev")
def test_a_machine_without_nvidia_hardware_is_told_apart_without_torch(tmp_path):
    assert devices.no_nvidia_gpu(fake_machine(tmp_path / "intel", ["0x8086", "0x1af4"]))
    assert not devices.no_nvidia_gpu(fake_machine(tmp_path / "nvidia", ["0x8086", "0x10de"]))
    assert not devices.no_nvidia_gpu(fake_machine(tmp_path / "wsl", [], ["dev/dxg"]))  # WSL: no PCI GPU
    assert not devices.no_nvidia_gpu(fake_machine(tmp_path / "driver", ["0x8086"], ["proc/driver/nvidia"]))
    assert not devices.no_nvidia_gpu(tmp_path / "unreadable")  # no PCI bus to read: torch decides


def test_the_cpu_fallback_does_not_import_torch_where_there_is_no_nvidia_gpu():
    if not devices.no_nvidia_gpu():
        pytest.skip("this machine may have an NVIDIA GPU: torch is asked")
    probe = "import sys; from heygem import devices; print(devices.report('auto').message, 'torch' in sys.modules)"
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "No usable GPU (no NVIDIA GPU found) — running on CPU False"
