from fractions import Fraction

import numpy as np
import pytest

from heygem.motion import mouth_model
from heygem.motion.plan import LEAD_S, RELEASE_S, mouth_active, mouth_targets, person_weight, rest_shape
from heygem.types import AudioAnalysis


def test_learns_a_mapping_and_refuses_too_little_data():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 30)).astype(np.float32)
    truth = np.stack([features[:, 0] + 0.5 * features[:, 3], -features[:, 1]], axis=1)
    targets = truth + 0.3 * rng.normal(size=truth.shape)
    valid = np.ones(300, bool)
    model = mouth_model.fit(features[:200], targets[:200], valid[:200])
    assert model is not None and model.score > 0.8
    predicted = model.predict(features[200:])
    assert np.corrcoef(predicted[:, 0], truth[200:, 0])[0, 1] > 0.9
    assert mouth_model.fit(features[:30], targets[:30], valid[:30]) is None


def test_the_person_model_counts_by_the_movement_it_explains_on_the_template():
    assert person_weight(0.4, 0.4) == pytest.approx(0.5)
    assert person_weight(0.2, 0.4) == pytest.approx(0.8)  # 0.16 / (0.04 + 0.16)
    assert person_weight(0.4, 0.0) == 0.0 and person_weight(0.4, -0.3) == 0.0
    assert person_weight(-0.1, 0.2) == 1.0 and person_weight(-0.1, -0.2) == 0.0
    assert person_weight(0.5, 0.3) < person_weight(0.5, 0.4) < person_weight(0.4, 0.4)


def test_context_stack_and_utterance_normalisation():
    rows = np.arange(5, dtype=np.float32)[:, None]
    stacked = mouth_model.context_stack(rows)
    assert stacked.shape == (5, len(mouth_model.CONTEXT))
    assert stacked[0].tolist() == [0, 0, 0, 0, 1, 2, 3]  # edges padded
    mel = np.random.default_rng(1).normal(5, 3, size=(100, 40))
    z = mouth_model.normalise_utterance(mel, np.ones(100, bool))
    assert z.shape == (100, 20) and abs(z.mean()) < 1e-3


class FakeTemplate:
    """Enough of a TemplateAnalysis for planning: no soundtrack, so calibration uses the driving audio."""

    def __init__(self, mouth):
        self.mouth = mouth
        self.has_face = np.ones(len(mouth), bool)
        self.frame_count = len(mouth)
        self.video = type("V", (), {"has_audio": False})()


@pytest.mark.parametrize("motion", ["learned", "loudness"])
def test_mouth_closes_in_silence_and_opens_in_speech(motion):
    rng = np.random.default_rng(2)
    mouth = np.abs(rng.normal(size=(200, 9))).astype(np.float32)
    n = 100
    speech = np.zeros(n, bool)
    speech[30:70] = True
    loudness = np.where(speech, -20 + 8 * np.sin(np.arange(n)), -70).astype(np.float32)
    audio = AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), n, loudness, speech, np.zeros((n, 40), np.float32))
    targets = mouth_targets(FakeTemplate(mouth), audio, motion)
    rest = rest_shape(mouth)
    eased = 3  # frames the smoothing spreads each edge
    quiet_before, quiet_after = 30 - round(LEAD_S * 25) - eased, 70 + round(RELEASE_S * 25) + eased
    assert np.allclose(targets[:quiet_before], rest, atol=1e-3) and np.allclose(targets[quiet_after:], rest, atol=1e-3)
    assert targets[30:70, 0].mean() > rest[0] + 0.3
    if motion == "loudness":
        assert np.corrcoef(targets[35:65, 0], loudness[35:65])[0, 1] > 0.5


def _audio(speech: np.ndarray, loudness: np.ndarray) -> AudioAnalysis:
    n = len(speech)
    return AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), n, loudness.astype(np.float32), speech,
                         np.zeros((n, 40), np.float32))


def test_mouth_leads_each_phrase_and_opens_for_an_audible_breath():
    speech = np.zeros(100, bool)
    speech[30:50] = speech[80:95] = True
    loudness = np.full(100, -70.0)
    loudness[speech] = -20
    loudness[67:75] = -45  # an in-breath 0.2-0.5 s before the second phrase
    active = mouth_active(_audio(speech, loudness))
    lead, release = int(round(LEAD_S * 25)), int(round(RELEASE_S * 25))
    assert active[30 - lead : 50 + release].all() and not active[: 30 - lead].any()  # quiet: lead only
    assert active[67:95].all() and not active[50 + release : 67].any()  # breath: open from its start
    assert active[95 : 95 + release].all() and not active[95 + release :].any()  # then it rests


def test_a_template_that_barely_moves_its_mouth_still_gets_speaking_targets():
    rng = np.random.default_rng(3)
    mouth = np.abs(rng.normal(size=(200, 9))).astype(np.float32)
    mouth[:, 0] = 0.002 + 0.001 * rng.random(200)  # lips shut all along
    speech = np.zeros(100, bool)
    speech[30:70] = True
    loudness = np.where(speech, -20 + 8 * np.sin(np.arange(100)), -70)
    targets = mouth_targets(FakeTemplate(mouth), _audio(speech, loudness), "learned")
    assert targets[30:70, 0].max() > 0.08  # open beyond anything the template shows; warping covers it
    assert targets[:25, 0].max() < 0.01 and targets[80:, 0].max() < 0.01


def test_the_mouth_keeps_speaking_through_a_short_pause_and_closes_in_a_long_one():
    speech = np.zeros(150, bool)
    speech[20:40] = speech[50:70] = speech[110:130] = True  # pauses of 0.4 s and 1.6 s
    loudness = np.where(speech, -20.0, -70.0)
    active = mouth_active(_audio(speech, loudness))
    assert active[20:70].all()  # people keep their speaking mouth through a short pause
    assert not active[70 + round(RELEASE_S * 25) : 110 - round(LEAD_S * 25)].any()
    assert active[70 : 70 + round(RELEASE_S * 25)].all() and active[110 - round(LEAD_S * 25) : 110].all()


def test_a_faint_tail_in_digital_silence_is_not_a_breath():
    speech = np.zeros(100, bool)
    speech[20:40] = speech[60:80] = True
    loudness = np.where(speech, -20.0, -100.0)  # TTS: exact zeros between sentences
    loudness[50:60] = -60  # a faint reverb tail before the next sentence
    active = mouth_active(_audio(speech, loudness))
    assert not active[40 + int(round(RELEASE_S * 25)) : 60 - int(round(LEAD_S * 25))].any()
