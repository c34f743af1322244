"""What routes receive: the app's JobService and Settings, and the documented bearer scheme."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.security import HTTPBearer

from ..config import Settings
from ..service import JobService

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""Job and batch ids (the service's rule), checked at the door so odd ids get a clear 4xx."""
JOB_ID = re.compile(ID_PATTERN)

# Only documents the token in the OpenAPI spec (the "Authorize" button of /docs);
# TokenMiddleware enforces it on every route, documented or not.
bearer = HTTPBearer(auto_error=False, description="HEYGEM_API_TOKEN, when the server has one")


def get_service(request: Request) -> JobService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
