"""The Wav2Lip generator and its audio features against the public model's numbers.

tests/data/wav2lip holds one of the two golden samples (random inputs, output of the public network
with weights built by `synthetic_state_dict`'s recipe) and the waveform/mel pair; the full set in the
shared fixtures is used too when present.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
from wav2lipweights import synthetic_state_dict

from heygem.engines.wav2lip.audio import mel_filterbank, mel_windows, melspectrogram
from heygem.engines.wav2lip.model import Wav2Lip

DATA = Path(__file__).parents[1] / "data" / "wav2lip"
SHARED = Path(__file__).parents[2] / ".." / "shared" / "wav2lip"


def read_keys(path: Path) -> dict[str, tuple[int, ...]]:
    rows = [line.rstrip("\n").split("\t") for line in path.read_text().splitlines()[1:]]
    return {key: tuple(int(n) for n in shape.split(",")) if shape else () for key, shape in rows}


@pytest.fixture(scope="module")
def model() -> Wav2Lip:
    net = Wav2Lip()
    net.load_state_dict(synthetic_state_dict())
    return net.eval()


def test_state_dict_keys_and_shapes_match_public_checkpoints():
    expected = read_keys(DATA / "keys.tsv")
    assert len(expected) == 352
    mine = {k: tuple(v.shape) for k, v in Wav2Lip().state_dict().items()}
    assert sorted(mine.keys() - expected.keys()) == []
    assert sorted(expected.keys() - mine.keys()) == []
    assert {k: s for k, s in mine.items() if expected[k] != s} == {}
    assert sum(p.numel() for p in Wav2Lip().parameters()) == 36_298_035


def _check_golden(model: Wav2Lip, path: Path) -> float:
    golden = np.load(path)
    with torch.no_grad():
        out = model(torch.from_numpy(golden["mel"]), torch.from_numpy(golden["face"])).numpy()
    assert out.shape == golden["output"].shape
    return float(np.abs(out - golden["output"]).max())


def test_generator_reproduces_golden_output(model):
    assert _check_golden(model, DATA / "golden.npz") < 1e-5


@pytest.mark.skipif(not (SHARED / "golden.npz").exists(), reason="shared Wav2Lip fixtures not present")
def test_generator_reproduces_full_shared_golden(model):
    assert _check_golden(model, SHARED / "golden.npz") < 1e-5


def test_generator_rejects_wrong_input_ranks(model):
    with pytest.raises(ValueError, match="expected mel"):
        model(torch.zeros(1, 80, 16), torch.zeros(1, 6, 96, 96))


def test_output_depends_on_audio(model):
    # A generator that ignored the mel would fail at lip sync while still passing shape checks.
    face = torch.from_numpy(np.load(DATA / "golden.npz")["face"])
    with torch.no_grad():
        quiet = model(torch.full((1, 1, 80, 16), -4.0), face)
        loud = model(torch.full((1, 1, 80, 16), 2.0), face)
    assert (quiet - loud).abs().max() > 1e-3


def test_mel_of_golden_waveform():
    golden = np.load(DATA / "golden.npz")
    mel = melspectrogram(golden["wav"])
    assert mel.shape == (80, 161) and mel.dtype == np.float32
    assert np.abs(mel - golden["wav_mel"]).max() < 1e-4


def test_mel_filterbank_is_slaney_area_normalised():
    bank = mel_filterbank()
    assert bank.shape == (80, 401)
    assert (bank >= 0).all() and (bank.sum(axis=1) > 0).all()
    # The first band starts above 55 Hz (bin width 20 Hz) and the last ends below 7600 Hz.
    assert bank[:, :3].sum() == 0 and bank[:, 381:].sum() == 0


def test_silence_and_short_clips():
    assert np.all(melspectrogram(np.zeros(16000)) == -4.0)
    assert melspectrogram(np.zeros(100)).shape == (80, 3)


def test_mel_windows_follow_video_frames():
    mel = np.arange(80 * 100, dtype=np.float32).reshape(80, 100)
    windows = mel_windows(mel, fps=25, n_frames=40)
    assert windows.shape == (40, 1, 80, 16)
    for i in (0, 1, 7, 26):
        start = int(i * 80 / 25)
        assert np.array_equal(windows[i, 0], mel[:, start:start + 16])
    # int(39 * 3.2) = 124 runs past the 100 mel frames: clamped to the last 16.
    assert np.array_equal(windows[39, 0], mel[:, 84:100])


def test_mel_windows_pad_audio_shorter_than_a_window():
    windows = mel_windows(np.zeros((80, 5), np.float32), fps=25, n_frames=2)
    assert windows.shape == (2, 1, 80, 16)
    assert np.all(windows[:, :, :, 5:] == -4.0)
