"""Errors a user can act on. Front ends map any HeyGemError to exit code 2 / HTTP 4xx."""


class HeyGemError(Exception):
    """Base class: the message names the file or setting and the problem."""


class InputError(HeyGemError):
    """An input file is missing, unreadable, of the wrong kind or empty."""


class NoFaceError(InputError):
    """The template video contains no usable face."""


class OutputError(HeyGemError):
    """The output path cannot be written."""


class DeviceError(HeyGemError):
    """The requested compute device does not exist or is not usable."""


class EngineUnavailable(HeyGemError):
    """The engine is unknown or lacks what it needs (weights, packages)."""


class JobCanceled(HeyGemError):
    """The job was canceled while it ran."""
