"""The Wav2Lip engine through the project's pipeline: template + audio -> a valid video, on the CPU,
with built (meaningless) weights. A real face template is used when the shared test media is there."""

from pathlib import Path

import numpy as np
import pytest
import torch
from mediafactory import speechlike, write_audio, write_video
from wav2lipweights import synthetic_state_dict

from heygem import pipeline
from heygem.analysis import template as template_analysis
from heygem.analysis.mouth import MOUTH_NAMES
from heygem.config import Settings
from heygem.engines import registry
from heygem.engines.wav2lip.engine import Wav2LipEngine
from heygem.media.decode import iter_frames, probe_video
from heygem.motion.timeline import ping_pong
from heygem.options import GenerateOptions

W, H = 160, 120
FACE = (50, 20, 110, 100)  # x0, y0, x1, y1 of the drawn face, as the landmark extent


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "wav2lip.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in synthetic_state_dict().items()}}, path)
    return path


@pytest.fixture
def wav2lip_registered(monkeypatch):
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    registry.register(Wav2LipEngine)


def drawn_face(i: int) -> np.ndarray:
    import cv2

    img = np.full((H, W, 3), 90, np.uint8)
    cv2.ellipse(img, (80, 60), (30, 40), 0, 0, 360, (200, 160, 130), -1)
    cv2.ellipse(img, (80, 82), (10, 2 + i % 4), 0, 0, 360, (120, 40, 50), -1)
    return img


def stand_in_analysis(video: Path, settings: Settings, *args, **kwargs):
    """What face analysis would report for drawn_face() videos (MediaPipe finds no face in drawings)."""
    info = probe_video(video if isinstance(video, Path) else video.path)
    n = info.frame_count
    rng = np.random.default_rng(0)
    has_face = np.ones(n, bool)
    has_face[5] = False
    boxes = np.tile(np.array(FACE, np.float32), (n, 1))
    boxes[~has_face] = np.nan
    return template_analysis.TemplateAnalysis(
        video=info, sha256="0" * 64, cache_dir=settings.templates_dir / ("0" * 64), has_face=has_face,
        landmarks=np.zeros((n, 478, 3), np.float32), boxes=boxes, pose=np.zeros((n, 3), np.float32),
        mouth=rng.uniform(0.1, 1.0, (n, len(MOUTH_NAMES))).astype(np.float32), mouth_names=MOUTH_NAMES,
    )


def region_diff(a: np.ndarray, b: np.ndarray, rows: slice, cols: slice) -> float:
    return float(np.abs(a[rows, cols].astype(int) - b[rows, cols].astype(int)).mean())


def test_pipeline_renders_a_valid_video(tmp_path, checkpoint, wav2lip_registered, monkeypatch):
    monkeypatch.setattr(template_analysis, "load_or_analyze", stand_in_analysis)
    template = write_video(tmp_path / "template.mp4", [drawn_face(i) for i in range(20)])
    audio = write_audio(tmp_path / "speech.wav", speechlike(1.5))
    settings = Settings(data_dir=tmp_path / "data")
    options = GenerateOptions(engine="wav2lip", device="cpu", batch_size=8,
                              engine_options=(("checkpoint", str(checkpoint)),))
    result = pipeline.run(template, audio, tmp_path / "out.mp4", options, settings)

    info = probe_video(result.output)
    assert result.engine == "wav2lip" and result.frames == 38  # 1.5 s at 25 fps, rounded
    assert (info.width, info.height, info.frame_count, info.has_audio) == (W, H, 38, True)
    source = list(iter_frames(template))
    base = ping_pong(len(source), 38)
    mouth, eyes = slice(70, 95), slice(65, 95)
    for i, frame in enumerate(iter_frames(result.output)):
        original = source[base[i]]
        if base[i] == 5:  # no face in that template frame: passed through (up to re-encoding)
            assert region_diff(frame, original, mouth, eyes) < 4
        else:
            assert region_diff(frame, original, mouth, eyes) > 10  # repainted by the (random) generator
        assert region_diff(frame, original, slice(0, 45), slice(None)) < 4  # eyes and above untouched


@pytest.mark.slow
def test_real_template_end_to_end(testmedia, tmp_path, checkpoint, wav2lip_registered):
    video = testmedia / "video" / "woman_glasses_en.mp4"
    options = GenerateOptions(engine="wav2lip", device="cpu", engine_options=(("checkpoint", str(checkpoint)),))
    result = pipeline.run(video, testmedia / "audio" / "zh_bus_3s.wav", tmp_path / "out.mp4", options,
                          Settings(data_dir=tmp_path / "data"))
    info = probe_video(result.output)
    assert (info.width, info.height, info.has_audio) == (524, 524, True)
    assert info.frame_count == result.frames == pytest.approx(3.4 * 25, abs=2)
    analysis = template_analysis.load_or_analyze(video, Settings(data_dir=tmp_path / "data"))
    x0, y0, x1, y1 = analysis.boxes[0].astype(int)
    first_out = next(iter_frames(result.output))
    first_in = next(iter_frames(video))
    lower = slice(y0 + (y1 - y0) * 2 // 3, y1), slice(x0 + (x1 - x0) // 3, x1 - (x1 - x0) // 3)
    upper = slice(y0, y0 + (y1 - y0) // 3), slice(x0, x1)
    assert region_diff(first_out, first_in, *lower) > 10
    assert region_diff(first_out, first_in, *upper) < 4
