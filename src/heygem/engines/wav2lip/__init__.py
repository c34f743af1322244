"""Wav2Lip lip-sync engine for users who bring the public checkpoint (wav2lip.pth / wav2lip_gan.pth).

Kept light at import: torch loads only when the model is built or a checkpoint is read.
"""

from .checkpoint import ENV_VAR, locate, unavailable_reason

__all__ = ["ENV_VAR", "locate", "unavailable_reason"]
