"""Face fixtures that need no test media beside the repo: matplotlib ships a portrait photo
(Grace Hopper, public domain) inside its wheel, and matplotlib is already a dependency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mediafactory import write_video

from heygem.selftest import drifting, sample_portrait


@pytest.fixture(scope="session")
def portrait() -> np.ndarray:
    """A frontal face photo, RGB uint8 (600x512), mouth closed."""
    return sample_portrait()


@pytest.fixture(scope="session")
def portrait_frames(portrait: np.ndarray) -> list[np.ndarray]:
    """12 frames of the portrait drifting a little (up to 4 px sideways, 3 px up and down)."""
    return drifting(portrait, 12, periods=(3, 4))


@pytest.fixture
def portrait_video(tmp_path: Path, portrait_frames: list[np.ndarray]) -> Path:
    """The drifting portrait as a 25 fps H.264 video."""
    return write_video(tmp_path / "portrait.mp4", portrait_frames)


@pytest.fixture(scope="session")
def portrait_points(portrait: np.ndarray) -> np.ndarray:
    """(478, 3) float64 landmarks of the portrait."""
    from heygem.analysis.face import FaceLandmarker

    with FaceLandmarker(static_images=True) as landmarker:
        return landmarker.detect(portrait).astype(np.float64)
