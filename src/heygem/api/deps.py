"""What routes receive: the app's JobService and Settings, and the documented bearer scheme."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPBearer

from ..config import Settings
from ..service import JobService
from ..service.request import JOB_ID_CHARS

ID_PATTERN = f"^{JOB_ID_CHARS}$"
"""Job and batch ids (the service's rule), checked at the door so odd ids get a clear 4xx."""

# Only documents the token in the OpenAPI spec (the "Authorize" button of /docs);
# TokenMiddleware enforces it on every route, documented or not.
bearer = HTTPBearer(auto_error=False, description="HEYGEM_API_TOKEN, when the server has one")


def get_service(request: Request) -> JobService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
