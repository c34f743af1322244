"""A terminal progress bar for ProgressCallback (tqdm, to stderr)."""

from __future__ import annotations


class TerminalProgress:
    def __enter__(self) -> "TerminalProgress":
        from tqdm import tqdm

        self._bar = tqdm(total=1000, unit="‰", bar_format="{desc:<32} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")
        return self

    def __call__(self, fraction: float, message: str) -> None:
        self._bar.set_description_str(message[:32])
        self._bar.n = int(max(0.0, min(1.0, fraction)) * 1000)
        self._bar.refresh()

    def __exit__(self, *exc) -> None:
        self._bar.close()
