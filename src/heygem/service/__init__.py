"""The job service: a persistent, device-aware queue. Front ends call only `JobService`.

    from heygem.service import JobService
    service = JobService(settings); service.start()
    job = service.submit("template.mp4", "speech.wav")
    service.get(job.id).status  # JobStatus.QUEUED / RUNNING / SUCCEEDED ...
"""

from ..errors import JobNotFound, JobStateError  # defined with every other error; raised by the service
from .jobs import (
    MAX_ATTEMPTS,
    Job,
    JobEvent,
    JobInputs,
    JobStatus,
    SystemInfo,
    WorkerInfo,
)
from .service import JobService

__all__ = [
    "MAX_ATTEMPTS", "Job", "JobEvent", "JobInputs", "JobNotFound", "JobService", "JobStateError",
    "JobStatus", "SystemInfo", "WorkerInfo",
]
