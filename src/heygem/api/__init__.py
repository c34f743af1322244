"""HTTP front end: REST API (/api/v1), HeyGem.ai-compatible routes (/easy), the web UI mounted at "/".

    from heygem.api import create_app
    app = create_app(Settings.from_env())   # then: uvicorn.run(app, host=..., port=...)
"""

from .app import create_app

__all__ = ["create_app"]
