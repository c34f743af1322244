"""Every exception of the package. Errors a user can act on derive from HeyGemError.

Front ends map any HeyGemError to exit code 2 / an HTTP 4xx or 503 (the table in api/errors.py).
"""


class HeyGemError(Exception):
    """Base class: the message names the file or setting and the problem."""


class InputError(HeyGemError):
    """An input file is missing, unreadable, of the wrong kind or empty."""


class NoFaceError(InputError):
    """The template video contains no usable face."""


class UploadTooLarge(InputError):
    """An uploaded or downloaded file is over its size limit (HTTP 413)."""


class UnsupportedMedia(InputError):
    """A file's content is not the kind of media its field needs, e.g. a .mp4 that is no video (HTTP 415)."""


class OutputError(HeyGemError):
    """The output path cannot be written."""


class DeviceError(HeyGemError):
    """The requested compute device does not exist or is not usable."""


class EngineUnavailable(HeyGemError):
    """The engine is unknown or lacks what it needs (weights, packages)."""


class JobCanceled(HeyGemError):
    """The job was canceled while it ran."""


class JobNotFound(HeyGemError):
    """No job has this id (HTTP 404)."""


class JobStateError(HeyGemError):
    """The operation does not apply to the job's current status, e.g. retrying a running job (HTTP 409)."""


class Busy(HeyGemError):
    """The server is at a limit it sets itself (e.g. downloads in flight); retrying later works (HTTP 503)."""


class Gone(HeyGemError):
    """The job finished, but its output file is missing (HTTP 410)."""


class DownloadFailed(Exception):
    """A URL download that did not work. Not a HeyGemError on purpose: its text (addresses, redirects)
    stays in the server log; the client is told only that the download failed (an InputError)."""
