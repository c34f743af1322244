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
