"""Engines by name. Classes are imported lazily so `heygem --help` stays fast."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Mapping

from ..config import Settings
from ..errors import EngineUnavailable
from .base import Engine

DEFAULT_ENGINE = "mouthbank"

# name -> "module:Class" (relative to heygem.engines)
_BUILTIN = {
    "mouthbank": "mouthbank.engine:MouthBankEngine",
    "wav2lip": "wav2lip.engine:Wav2LipEngine",
    "loop": "loop:LoopEngine",
}
_registered: dict[str, type[Engine]] = {}


@dataclass(frozen=True)
class EngineStatus:
    name: str
    description: str
    available: bool
    reason: str | None  # why not, when unavailable


def register(engine: type[Engine]) -> None:
    """Add an engine class (plugins, tests)."""
    _registered[engine.name] = engine


def names() -> list[str]:
    return sorted(set(_BUILTIN) | set(_registered))


def get(name: str) -> type[Engine]:
    name = DEFAULT_ENGINE if name in ("", "default") else name
    if name in _registered:
        return _registered[name]
    if name not in _BUILTIN:
        raise EngineUnavailable(f"unknown engine {name!r}; known engines: {', '.join(names())}")
    module, cls = _BUILTIN[name].split(":")
    return getattr(importlib.import_module(f"heygem.engines.{module}"), cls)


def status(settings: Settings, options: Mapping[str, str] | None = None) -> list[EngineStatus]:
    out = []
    for name in names():
        engine = get(name)
        reason = engine.unavailable_reason(settings, options or {})
        out.append(EngineStatus(name, engine.description, reason is None, reason))
    return out


def create(name: str, device: str, settings: Settings, options: Mapping[str, str] | None = None) -> Engine:
    engine = get(name)
    reason = engine.unavailable_reason(settings, options or {})
    if reason:
        raise EngineUnavailable(f"engine {engine.name!r} is unavailable: {reason}")
    return engine(device, settings, options or {})
