"""GET /health and GET /system: is the server up, which device, how long is the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from .. import __version__
from ..service import JobService
from .deps import bearer, get_service
from .schemas import Health, SystemOut

router = APIRouter(tags=["system"], dependencies=[Depends(bearer)])


@router.get("/health", response_model=Health, summary="Liveness")
def health() -> Health:
    return Health(version=__version__)


@router.get("/system", response_model=SystemOut, summary="Device, GPU memory, queue and running jobs")
def system(service: Annotated[JobService, Depends(get_service)]) -> SystemOut:
    return SystemOut.of(service.system(), __version__)
