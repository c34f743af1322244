"""HeyGem: a template video of a person plus new speech -> the same person saying the new words."""

__version__ = "0.1.0"
