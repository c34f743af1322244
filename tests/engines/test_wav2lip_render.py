"""Wav2Lip crops, blending and the engine's render step, with built weights and a stand-in analysis."""

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from wav2lipweights import synthetic_state_dict

from heygem.config import Settings
from heygem.engines.base import FrameBatch, RenderJob
from heygem.engines.wav2lip import blend, boxes
from heygem.engines.wav2lip.engine import Wav2LipEngine
from heygem.errors import InputError
from heygem.types import AudioAnalysis, MotionPlan

W, H, FPS = 160, 120, 25


def test_boxes_pad_below_chin():
    extent = np.array([[10, 20, 50, 70], [np.nan] * 4])
    out = boxes.wav2lip_boxes(extent, np.array([True, False]))
    assert out[0].tolist() == pytest.approx([10, 20, 50, 70 + boxes.CHIN_PAD * 50])
    assert out[1].tolist() == [0, 0, 0, 0]


def test_smoothing_removes_jitter_and_respects_gaps():
    rng = np.random.default_rng(1)
    truth = np.tile([40.0, 30.0, 100.0, 100.0], (30, 1))
    jittery = truth + rng.normal(0, 2, truth.shape)
    valid = np.ones(30, bool)
    valid[15] = False
    jittery[15] = 500  # a face-less frame's row must not leak into its neighbours
    smooth = boxes.smooth_boxes(jittery, valid)
    assert np.abs(smooth[valid] - truth[valid]).std() < 0.6 * np.abs(jittery[valid] - truth[valid]).std()
    assert np.abs(smooth[14] - truth[14]).max() < 6 and np.abs(smooth[16] - truth[16]).max() < 6


def test_pixel_boxes_clip_and_drop_tiny_faces():
    raw = np.array([[-5.4, 10.6, 90.0, 200.0], [10, 10, 15, 15]])
    rounded, ok = boxes.pixel_boxes(raw, np.array([True, True]), width=80, height=100)
    assert rounded[0].tolist() == [0, 11, 80, 100]
    assert ok.tolist() == [True, False]


def test_mask_is_feathered_and_zero_at_the_box_edge():
    mask = blend.mouth_mask(200, 180)
    assert mask.shape == (200, 180)
    assert mask[146, 90] > 0.99  # mouth
    assert mask[60, 90] < 0.01  # eyes keep their pixels
    assert max(mask[0].max(), mask[-1].max(), mask[:, 0].max(), mask[:, -1].max()) < 0.01
    column = mask[100:146, 90]
    assert np.all(np.diff(column) >= -1e-6) and ((column > 0.1) & (column < 0.9)).sum() >= 5  # a ramp, not a step


def test_paste_changes_only_the_lower_face_inside_the_box():
    frame = np.full((120, 160, 3), 100, np.uint8)
    face = np.full((96, 96, 3), 200, np.uint8)
    out = blend.paste(frame, face, np.array([40, 20, 120, 110]))
    assert out is not frame and np.all(frame == 100)
    changed = np.any(out != 100, axis=2)
    ys, xs = np.nonzero(changed)
    assert ys.min() >= 20 + 0.38 * 90 and ys.max() < 110 and xs.min() >= 40 and xs.max() < 120
    assert out[20 + int(0.73 * 90), 80].tolist() == [200, 200, 200]


def test_sharpen_raises_edge_contrast():
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = 160
    sharp = blend.sharpen(img, 0.5)
    assert sharp[0, 16, 0] > 160 and sharp[0, 15, 0] == 0
    assert blend.sharpen(img, 0) is img


# --- the engine, end to end through prepare/render with a stand-in TemplateAnalysis -------------

def face_frame(i: int) -> np.ndarray:
    """A skin-coloured ellipse 'face' with dark eyes and mouth on a grey background, drifting slowly."""
    import cv2

    img = np.full((H, W, 3), 90, np.uint8)
    cx = 80 + i % 3
    cv2.ellipse(img, (cx, 60), (30, 40), 0, 0, 360, (200, 160, 130), -1)
    for ex in (cx - 12, cx + 12):
        cv2.circle(img, (ex, 48), 4, (40, 30, 30), -1)
    cv2.ellipse(img, (cx, 82), (10, 4), 0, 0, 360, (120, 40, 50), -1)
    return img


def stand_in_template(n: int, face_frames: np.ndarray):
    """The fields of analysis.template.TemplateAnalysis the engine reads (NaN where no face)."""
    extent = np.array([[50 + i % 3, 20, 110 + i % 3, 100] for i in range(n)], np.float32)
    extent[~face_frames] = np.nan
    return SimpleNamespace(boxes=extent, has_face=face_frames)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "wav2lip_gan.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in synthetic_state_dict().items()}}, path)
    return path


def make_engine(checkpoint: Path, n_template: int, n_out: int, sharpen: str = "0") -> Wav2LipEngine:
    has_face = np.ones(n_template, bool)
    has_face[3] = False
    rng = np.random.default_rng(0)
    samples = (0.3 * rng.standard_normal(int(16000 * n_out / FPS))).astype(np.float32)
    samples[: len(samples) // 2] *= 0.001  # quiet first half, loud second half: different mel windows
    audio = AudioAnalysis(samples=samples, sample_rate=16000, fps=Fraction(FPS), frame_count=n_out,
                          loudness=np.zeros(n_out, np.float32), speech=np.ones(n_out, bool))
    video = SimpleNamespace(width=W, height=H, fps=Fraction(FPS), frame_count=n_template)
    plan = MotionPlan(base_indices=np.arange(n_out) % n_template)
    engine = Wav2LipEngine("cpu", Settings(data_dir=checkpoint.parent), {"checkpoint": str(checkpoint), "sharpen": sharpen})
    engine.prepare(RenderJob(video=video, template=stand_in_template(n_template, has_face), audio=audio, plan=plan))
    return engine


def batch_of(out_idx, base_idx) -> FrameBatch:
    return FrameBatch(np.asarray(out_idx), np.asarray(base_idx), [face_frame(int(b)) for b in base_idx])


def test_engine_is_available_only_with_a_checkpoint(tmp_path, checkpoint, monkeypatch):
    monkeypatch.delenv("HEYGEM_WAV2LIP_CHECKPOINT", raising=False)
    reason = Wav2LipEngine.unavailable_reason(Settings(data_dir=tmp_path), {})
    assert "no Wav2Lip checkpoint" in reason and str(tmp_path / "models") in reason
    assert Wav2LipEngine.unavailable_reason(Settings(data_dir=tmp_path), {"checkpoint": str(checkpoint)}) is None
    assert Wav2LipEngine.unavailable_reason(Settings(data_dir=checkpoint.parent.parent), {}) is not None
    models = tmp_path / "models"
    models.mkdir()
    (models / "wav2lip.pth").symlink_to(checkpoint)
    assert Wav2LipEngine.unavailable_reason(Settings(data_dir=tmp_path), {}) is None


def test_render_repaints_mouths_and_passes_faceless_frames(checkpoint):
    engine = make_engine(checkpoint, n_template=8, n_out=50)
    batch = batch_of(range(8), range(8))
    out = engine.render(batch)
    assert len(out) == 8 and all(o.shape == (H, W, 3) and o.dtype == np.uint8 for o in out)
    assert out[3] is batch.frames[3]  # frame without a face: unchanged
    for k in (0, 1, 2, 4, 7):
        diff = np.any(out[k] != batch.frames[k], axis=2)
        ys, xs = np.nonzero(diff)
        box = engine.boxes[k]
        assert diff.sum() > 200  # the mouth region was repainted
        assert ys.min() >= box[1] + 0.38 * (box[3] - box[1]) and ys.max() < box[3]  # lower face only
        assert xs.min() >= box[0] and xs.max() < box[2]


def test_mouth_follows_the_audio_and_batching_does_not_matter(checkpoint):
    engine = make_engine(checkpoint, n_template=8, n_out=50)
    quiet = engine.render(batch_of([2], [2]))[0]
    loud = engine.render(batch_of([40], [2]))[0]
    assert np.abs(quiet.astype(int) - loud.astype(int)).max() > 2
    together = engine.render(batch_of([2, 40, 41], [2, 2, 5]))
    assert np.abs(together[0].astype(int) - quiet.astype(int)).max() <= 1
    assert np.abs(together[1].astype(int) - loud.astype(int)).max() <= 1


def test_engine_rejects_bad_inputs(checkpoint):
    with pytest.raises(InputError, match="sharpen='lots' is not a number"):
        Wav2LipEngine("cpu", Settings(), {"checkpoint": str(checkpoint), "sharpen": "lots"})
    engine = Wav2LipEngine("cpu", Settings(), {"checkpoint": str(checkpoint)})
    with pytest.raises(InputError, match="needs the template's face analysis"):
        engine.prepare(RenderJob(video=SimpleNamespace(width=W, height=H), template=None,
                                 audio=AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), 3,
                                                     np.zeros(3), np.zeros(3, bool)),
                                 plan=MotionPlan(np.zeros(3, int))))
