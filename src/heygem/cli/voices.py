"""heygem voices: list the text-to-speech voices and whether they can run here."""

from __future__ import annotations

import argparse

from ..config import Settings


def add(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("voices", help="list text-to-speech voices (for generate --text)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..tts import list_voices, missing_packages
    from ..tts.voices import ONLINE_ENV, online_enabled

    for voice in list_voices():
        hint = missing_packages(voice)
        state = "ready" if hint is None else f"not installed: {hint}"
        where = "ONLINE" if voice.online else "offline"
        print(f"{voice.name:<20} {voice.language}  {where:<7} {voice.description} [{state}]")
    if not online_enabled():
        print(f"(online voices are off; set {ONLINE_ENV}=1 to list and use them)")
    return 0
