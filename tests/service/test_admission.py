"""GPU admission with a fake memory probe, and the out-of-memory fallback, without a GPU."""

import logging
import threading
import time

import pytest

from heygem import devices
from heygem.config import Settings
from heygem.options import GenerateOptions
from heygem.service import JobStatus
from heygem.service.scheduler import Scheduler
from heygem.service.worker import fallback_plan
from heygem.units import GIB

LOOP = GenerateOptions(engine="loop")


class FakeGpu:
    """A memory probe whose free memory is the total minus what fake jobs and other programs hold."""

    def __init__(self, total: int):
        self.total, self.used = total, 0
        self.lock = threading.Lock()

    def probe(self, device: str) -> tuple[int, int]:
        with self.lock:
            return self.total - self.used, self.total

    def hold(self, nbytes: int) -> None:
        with self.lock:
            self.used += nbytes


@pytest.fixture
def fake_gpu(monkeypatch) -> FakeGpu:
    """Pretend cuda:0 exists (8 GiB) for services made after this; their pipeline runs are fakes too."""
    monkeypatch.setattr(devices, "report", lambda spec="auto": devices.DeviceReport("cuda:0", "fake GPU, 8 GiB"))
    monkeypatch.setattr(devices, "release", lambda device: None)
    return FakeGpu(8 * GIB)


class FakeJob:
    def __init__(self, job_id: str, options: GenerateOptions = LOOP):
        self.id, self.options = job_id, options


def scheduler(gpu: FakeGpu, sizes: dict[str, int], gpu_jobs: int) -> Scheduler:
    return Scheduler(Settings(gpu_jobs=gpu_jobs), "cuda:0", gpu.probe, lambda job, device: sizes[job.id])


def test_jobs_that_do_not_fit_wait_and_small_ones_share():
    gpu = FakeGpu(8 * GIB)
    s = scheduler(gpu, {"a": 2 * GIB, "b": 2 * GIB, "big": 6 * GIB, "c": 1 * GIB}, gpu_jobs=3)
    assert s.admit(FakeJob("a"), "cuda:0") == (True, "")
    assert s.admit(FakeJob("b"), "cuda:0") == (True, "")  # two small ones share the GPU
    ok, why = s.admit(FakeJob("big"), "cuda:0")
    assert not ok and why == "waiting for GPU memory (needs 6.0 GiB, 4.0 free)"
    gpu.hold(5 * GIB)  # another program takes memory: the probe sees it
    ok, why = s.admit(FakeJob("big"), "cuda:0")
    assert not ok and "3.0 free" in why
    gpu.hold(-5 * GIB)
    s.done("a", "cuda:0")
    assert s.admit(FakeJob("big"), "cuda:0") == (True, "")  # 8 - 2 reserved = 6 fits now
    assert s.admit(FakeJob("c"), "cuda:0") == (False, "waiting for GPU memory (needs 1.0 GiB, 0.0 free)")


def test_default_is_one_gpu_job_at_a_time_and_cpu_has_its_own_slots():
    gpu = FakeGpu(80 * GIB)
    s = Scheduler(Settings(), "cuda:0", gpu.probe, lambda job, device: GIB)
    assert s.admit(FakeJob("a"), "cuda:0")[0]
    assert s.admit(FakeJob("b"), "cuda:0") == (False, "waiting for a free cuda:0 slot (1/1 busy)")
    assert s.admit(FakeJob("c"), "cpu")[0]
    assert not s.admit(FakeJob("d"), "cpu")[0]
    assert s.limits() == {"cuda:0": 1, "cpu": 1}


def test_a_job_bigger_than_free_memory_still_runs_when_the_gpu_is_otherwise_idle(caplog):
    gpu = FakeGpu(8 * GIB)
    gpu.hold(7 * GIB)  # another program
    s = scheduler(gpu, {"a": 4 * GIB}, gpu_jobs=1)
    with caplog.at_level(logging.WARNING, "heygem.service"):
        assert s.admit(FakeJob("a"), "cuda:0") == (True, "")
    assert "trying anyway" in caplog.text


def test_service_admission_end_to_end(make_service, fake_gpu, settings):
    """A and B (2 GiB each) run together; C (7 GiB) waits for both, though a slot frees earlier."""
    sizes = {"A": 2 * GIB, "B": 2 * GIB, "C": 7 * GIB}
    both_running = threading.Barrier(2, timeout=10)
    spans: dict[str, list[float]] = {}

    def runner(video, audio, output, options, settings_, progress, should_cancel):
        name = next(k for k in sizes if str(output).endswith(f"{k}.mp4"))
        spans[name] = [time.monotonic()]
        fake_gpu.hold(sizes[name])
        try:
            if name in "AB":
                both_running.wait()  # raises BrokenBarrierError unless A and B overlap
                time.sleep(0.1 if name == "A" else 0.4)
            output.write_bytes(b"video")
        finally:
            fake_gpu.hold(-sizes[name])
            spans[name].append(time.monotonic())

    service = make_service("cuda", settings_=settings.with_overrides(gpu_jobs=2), runner=runner,
                           memory_probe=fake_gpu.probe, estimate=lambda job, device: sizes[job.id])
    for name in sizes:
        service.submit(__file__, __file__, GenerateOptions(engine="loop"), job_id=name)
    service.start()
    jobs = service.wait(list(sizes), timeout=20)
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] * 3, [j.error for j in jobs]
    assert spans["C"][0] >= max(spans["A"][1], spans["B"][1])
    assert all(j.device == "cuda:0" for j in jobs)
    assert service.system().gpu_memory == (8 * GIB, 8 * GIB)


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which the worker recognises by name."""


def test_out_of_memory_retries_with_half_batch_then_cpu(make_service, fake_gpu, caplog):
    calls = []

    def runner(video, audio, output, options, settings_, progress, should_cancel):
        calls.append((options.device, options.batch_size))
        if options.device.startswith("cuda"):
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        output.write_bytes(b"video")

    service = make_service("cuda", runner=runner, memory_probe=fake_gpu.probe, estimate=lambda job, device: GIB)
    service.start()
    with caplog.at_level(logging.WARNING, "heygem.service"):
        job = service.submit(__file__, __file__, GenerateOptions(engine="loop", batch_size=16))
        done = service.wait([job.id], timeout=20)[0]
    assert done.status is JobStatus.SUCCEEDED and done.device == "cpu"
    assert calls == [("cuda:0", 16), ("cuda:0", 8), ("cpu", 8)]
    assert caplog.text.count("out of memory on") == 2


def test_out_of_memory_everywhere_fails_the_job_and_other_errors_are_not_retried(make_service, fake_gpu):
    calls = []

    def runner(video, audio, output, options, settings_, progress, should_cancel):
        calls.append(options.device)
        if options.batch_size == 3:
            raise ValueError("not a memory problem")
        raise OutOfMemoryError("out of memory")

    service = make_service("cuda", runner=runner, memory_probe=fake_gpu.probe, estimate=lambda job, device: GIB)
    service.start()
    oom = service.submit(__file__, __file__, GenerateOptions(engine="loop", batch_size=2))
    other = service.submit(__file__, __file__, GenerateOptions(engine="loop", batch_size=3))
    oom_done, other_done = service.wait([oom.id, other.id], timeout=20)
    assert oom_done.status is JobStatus.FAILED and "out of memory" in oom_done.error
    assert other_done.error == "ValueError: not a memory problem"
    assert calls == ["cuda:0", "cuda:0", "cpu", "cuda:0"]


def test_fallback_plan():
    assert fallback_plan("cuda:1", 16) == [("cuda:1", 16), ("cuda:1", 8), ("cpu", 8)]
    assert fallback_plan("cuda:0", 1) == [("cuda:0", 1), ("cpu", 1)]
    assert fallback_plan("cpu", 16) == [("cpu", 16)]
