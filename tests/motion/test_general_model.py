"""The shipped general speech->mouth model, its training record, and person calibration."""

import json
import logging
import re
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from heygem.analysis.mouth import MOUTH_NAMES
from heygem.analysis.phones import PHONES, VISEMES, visemes_of
from heygem.errors import EngineUnavailable, InputError
from heygem.motion import general
from heygem.motion.calibration import FAST_S, MAX_MOTION_GAIN, linear_match, match_motion, quantile_match
from heygem.motion.smoothing import gaussian_smooth
from heygem.types import AudioAnalysis


def _audio(n: int = 60, seed: int = 0) -> AudioAnalysis:
    rng = np.random.default_rng(seed)
    speech = np.zeros(n, bool)
    speech[10:50] = True
    loudness = np.where(speech, -25 + 5 * rng.normal(size=n), -70).astype(np.float32)
    mel = rng.normal(size=(n, 40)).astype(np.float32)
    return AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), n, loudness, speech, mel)


def test_the_shipped_weights_load_and_fit_the_features():
    assert general.WEIGHTS.stat().st_size <= 5 * 1024 * 1024
    model = general.load()
    assert model.feature_set in general.FEATURE_SETS and model.names == MOUTH_NAMES
    audio = _audio()
    features = general.frame_features(audio, model.feature_set, np.zeros((audio.frame_count, len(PHONES)), np.float32))
    assert features.shape[1] == len(model.feature_mean) == model.weights.shape[0] - 1
    predicted = model.predict_features(features)
    assert predicted.shape == (audio.frame_count, len(MOUTH_NAMES)) and np.isfinite(predicted).all()
    # the shipped smoothing over time calms frame-to-frame changes and keeps the frame count
    smoothed = model.smooth(predicted, float(audio.fps))
    assert smoothed.shape == predicted.shape
    if model.smoothing_s > 0:
        assert np.abs(np.diff(smoothed[:, 0], 2)).mean() < np.abs(np.diff(predicted[:, 0], 2)).mean()


def test_phone_shares_pool_into_their_mouth_shape_classes():
    shares = np.eye(len(PHONES), dtype=np.float32)
    classes = visemes_of(shares)
    assert classes.shape == (len(PHONES), len(VISEMES)) and np.allclose(classes.sum(axis=1), 1.0)
    assert classes[PHONES.index("M"), list(VISEMES).index("lips_closed")] == 1.0


def test_a_warped_filterbank_hears_a_tone_higher_like_a_shorter_vocal_tract():
    from heygem.analysis.audio import log_mel

    tone = np.sin(2 * np.pi * 3000 * np.arange(16000) / 16000).astype(np.float32)
    band = lambda warp: int(np.argmax(log_mel(tone, warp=warp).mean(axis=0)))  # noqa: E731
    assert band(0.9) < band(1.0) < band(1.1)
    assert np.array_equal(log_mel(tone), log_mel(tone, warp=1.0))


def test_the_training_record_hashes_its_data_and_keeps_non_commercial_clips_out():
    record = json.loads(general.WEIGHTS.with_suffix(".json").read_text())
    with np.load(general.WEIGHTS) as weights:
        assert str(weights["feature_set"]) == record["model"]["feature_set"]
    assert len({d["speaker"] for d in record["data"]}) >= 10
    assert all(re.fullmatch("[0-9a-f]{64}", d["sha256"]) for d in record["data"])
    assert not any(d["in_shipped_weights"] for d in record["data"] if d["use"] != "train+validate")
    validated = record["validation"]["results"][record["model"]["feature_set"]]["open"]
    assert validated["mean"] > 0.3  # leave one speaker out, as trained


def test_a_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(EngineUnavailable, match="general mouth model"):
        general.load(tmp_path / "nothing.npz")


def test_calibration_maps_onto_the_persons_own_range():
    rng = np.random.default_rng(1)
    predicted = rng.normal(0, 0.3, size=(500, 2))  # the model's standard units, shrunk
    person = np.stack([rng.uniform(0.02, 0.3, 300), rng.uniform(1.1, 1.6, 300)], axis=1)
    calibration = quantile_match(predicted, person)
    mapped = calibration.apply(predicted)
    # the person's distribution, column by column ...
    assert np.allclose(np.quantile(mapped, [0.1, 0.5, 0.9], axis=0), np.quantile(person, [0.1, 0.5, 0.9], axis=0), atol=0.02)
    # ... never outside the mouths the template shows, and more open stays more open
    wider = calibration.apply(rng.normal(0, 1.0, size=(200, 2)))
    assert (wider >= person.min(axis=0) - 1e-9).all() and (wider <= person.max(axis=0) + 1e-9).all()
    ramp = calibration.apply(np.repeat(np.linspace(-1, 1, 50)[:, None], 2, axis=1))
    assert (np.diff(ramp, axis=0) >= 0).all()


def test_another_voices_calibration_keeps_the_mouth_moving_where_a_short_template_holds_a_clump():
    """Most of a short template's speaking mouths lie in a narrow band: the quantile map sends the
    middle of the model's output onto that band, so the mouth hardly moves there; the linear map
    (another voice's) keeps it moving, with the person's mean and spread and within their range."""
    rng = np.random.default_rng(2)
    person = np.concatenate([rng.uniform(0.13, 0.17, 60), rng.uniform(0.02, 0.35, 40)])[:, None]
    predicted = rng.normal(0, 0.3, size=(500, 1))
    linear = linear_match(predicted, person)
    middle = np.linspace(-0.3, 0.3, 61)[:, None]  # the model's output within one spread of its mean
    assert np.ptp(linear.apply(middle)) > 1.5 * np.ptp(quantile_match(predicted, person).apply(middle))
    mapped = linear.apply(predicted)
    assert abs(mapped.mean() - person.mean()) < 0.1 * person.std() and abs(mapped.std() / person.std() - 1) < 0.1
    wider = linear.apply(rng.normal(0, 1.0, size=(200, 1)))
    assert person.min() - 1e-9 <= wider.min() and wider.max() <= person.max() + 1e-9
    assert (np.diff(linear.apply(np.linspace(-1, 1, 50)[:, None]), axis=0) >= 0).all()


def _fast_std(values: np.ndarray, fps: float) -> float:
    return float(np.std(values - gaussian_smooth(values, FAST_S * fps)))


def _gains(plan: np.ndarray, matched: np.ndarray, fps: float) -> np.ndarray:
    """Per column, g where matched = plan + (g - 1) * plan's fast part (least squares); 1 for a
    column without a fast part (a constant one: it must come back unchanged)."""
    fast = plan - gaussian_smooth(plan, FAST_S * fps, axis=0)
    power = (fast * fast).sum(axis=0)
    extra = np.divide(((matched - plan) * fast).sum(axis=0), power, out=np.zeros_like(power), where=power > 0)
    assert np.allclose(matched - plan, extra * fast, atol=1e-5)
    return 1 + extra


def test_planned_mouths_move_from_syllable_to_syllable_as_much_as_the_persons_own():
    """A smooth plan's fast movement is scaled to the template's (syllables at 4 Hz over a slow
    drift), the slow part kept; never scaled down, never beyond MAX_MOTION_GAIN, and pauses and
    frames without a face do not count."""
    fps, n = 25.0, 250
    t = np.arange(n) / fps
    slow, syllables = 0.1 + 0.03 * np.sin(2 * np.pi * 0.3 * t), np.sin(2 * np.pi * 4 * t)
    opening = slow + 0.03 * syllables
    opening[[30, 101, 202]] = np.nan  # face unseen: interpolated over
    speaking = np.ones(n, bool)
    plan = np.stack([slow + 0.015 * syllables, np.full(n, 1.3) + 0.01 * syllables], axis=1)
    active = np.ones(n, bool)
    matched = match_motion(plan, active, opening, speaking, fps)
    assert matched.dtype == np.float32 and matched.shape == plan.shape
    # about as much (the Gaussian passes part of a 4 Hz movement as slow, and that part is not scaled)
    assert _fast_std(matched[:, 0], fps) == pytest.approx(_fast_std(slow + 0.03 * syllables, fps), rel=0.1)
    gains = _gains(plan, matched, fps)
    assert gains[0] > 1.5 and gains[1] == pytest.approx(gains[0], rel=1e-3)  # one gain for all columns
    assert np.abs(np.convolve(matched[:, 0] - plan[:, 0], np.ones(25) / 25, "valid")).max() < 0.003  # slow part kept
    lively = np.stack([slow + 0.06 * syllables, np.full(n, 1.3)], axis=1)
    assert np.array_equal(match_motion(lively, active, opening, speaking, fps), lively)
    nearly_still = np.stack([slow + 0.001 * syllables, np.full(n, 1.3)], axis=1)
    livened = match_motion(nearly_still, active, opening, speaking, fps)
    assert _gains(nearly_still, livened, fps)[0] == pytest.approx(MAX_MOTION_GAIN)
    # neither the person's pauses in the template (a still mouth) nor the plan's closed stretches
    # dilute the movement they are measured by
    with_pause = match_motion(plan, active, np.r_[opening, np.full(n, 0.05)], np.r_[speaking, np.zeros(n, bool)], fps)
    assert np.allclose(with_pause, matched, atol=1e-4)
    closed = match_motion(np.r_[plan, np.tile(plan.mean(axis=0), (n, 1))], np.r_[active, np.zeros(n, bool)],
                          opening, speaking, fps)
    assert np.allclose(closed[: n // 2], matched[: n // 2], atol=1e-4)
    # nothing to measure the person by: unchanged
    assert np.array_equal(match_motion(plan, active, np.full(n, np.nan), speaking, fps), plan)


def test_real_speech_drives_the_mouth_through_the_general_model(testmedia, tmp_path, caplog):
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion.plan import mouth_targets, person_weight

    template = load_or_analyze(testmedia / "video" / "woman_glasses_en.mp4", Settings(data_dir=tmp_path))
    audio = analyze_audio(load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE), template.video.fps)
    with caplog.at_level(logging.INFO, logger="heygem.motion"):
        targets = mouth_targets(template, audio, "learned")
    choice = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mouth: ")]
    assert len(choice) == 1 and "weighted" in choice[0]
    assert any(r.getMessage().startswith("template: 4.9 s of the person") for r in caplog.records)  # asks for 10 s
    general_r, person_r, general_w, person_w = (float(x) for x in re.findall(r"-?\d\.\d\d", choice[0]))
    assert abs(person_w - person_weight(general_r, person_r)) < 0.03 and abs(general_w + person_w - 1) < 0.011
    opening = targets[:, 0]
    real = template.mouth[template.has_face, 0]
    assert real.min() - 1e-6 <= opening.min() and opening.max() <= real.max() + 1e-6
    assert opening[audio.speech].std() > 0.2 * real.std()  # the mouth moves with the speech
    with pytest.raises(EngineUnavailable):
        mouth_targets(template, audio, "learned", weights=str(tmp_path / "missing.npz"))


def test_another_voice_gets_the_calibrated_general_model_without_the_person_learner(testmedia, tmp_path, caplog,
                                                                                   monkeypatch):
    """The person-specific learner learned this person's voice; speech in another voice is mapped by
    the general model alone, its output over the new speech moved and scaled onto the person's
    mouths while they speak (training/sync_eval.py: closer on other voices). Speech too short for
    that is calibrated on the template's soundtrack."""
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion import mouth_model
    from heygem.motion.plan import _aligned, make_plan, mouth_targets

    template = load_or_analyze(testmedia / "video" / "man_map_en.mp4", Settings(data_dir=tmp_path))
    samples = load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE)
    audio = analyze_audio(samples, template.video.fps)
    own_voice = mouth_targets(template, audio, "learned")

    def no_learner(*args):
        raise AssertionError("a person-specific model was fitted for another voice")

    monkeypatch.setattr(mouth_model, "fit", no_learner)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="heygem.motion"):
        other = mouth_targets(template, audio, "learned", speaker="other")
        mouth_targets(template, analyze_audio(samples[:SAMPLE_RATE], template.video.fps), "learned", speaker="other")
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mouth: ")]
    assert all("another voice" in line and "weighted" not in line for line in said)
    assert not any(r.getMessage().startswith("template: ") for r in caplog.records)  # its length is the learner's concern
    assert "on the new speech" in said[0] and "on the template's soundtrack" in said[1]  # 1 s: too short
    real = template.mouth[template.has_face, 0]
    assert real.min() - 1e-6 <= other[:, 0].min() and other[:, 0].max() <= real.max() + 1e-6
    assert other[audio.speech, 0].std() > 0.2 * real.std()  # the mouth moves with the speech
    own = template.cache_dir / "soundtrack.npz"  # the template's speech frames, as the plan found them
    speaking = _aligned(np.load(own)["speech"], template.frame_count) & template.has_face
    # as open as this person speaks (calibrated on the template's soundtrack instead: 0.9 std off here)
    assert abs(other[audio.speech, 0].mean() - np.nanmean(template.mouth[speaking, 0])) < 0.15 * real.std()
    assert np.abs(other - own_voice).max() > 0.01  # the learner counted for the template's own voice
    with pytest.raises(InputError, match="unknown speaker"):
        make_plan(template, audio, np.zeros(audio.frame_count, int), speaker="nobody")


def test_the_person_learner_hears_the_general_model(testmedia, tmp_path, monkeypatch):
    """The person-specific learner gets the calibrated general model's mouths next to the sound,
    with the same context, so it learns where and when this person departs from the general model.
    Shown with a person whose mouth is a monotone map of the general model's output: the
    calibration recovers it, and the learner's last columns are that mouth, frames -3 to +3."""
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion import mouth_model, plan

    template = load_or_analyze(testmedia / "video" / "woman_glasses_en.mp4", Settings(data_dir=tmp_path))
    own = plan._template_audio(template, template.video.fps)
    predicted = plan._aligned(general.load().predict(own), template.frame_count)
    mouth = template.mouth.copy()
    mouth[:, :-1] = 0.3 + 0.1 * predicted[:, :-1]
    heard = []
    fit = mouth_model.fit
    monkeypatch.setattr(mouth_model, "fit", lambda features, *rest: heard.append(features) or fit(features, *rest))
    audio = analyze_audio(load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE), template.video.fps)
    plan.mouth_targets(replace(template, mouth=mouth), audio, "learned")
    sound = mouth_model.audio_features(own.features, own.loudness, own.speech)
    (features,) = heard
    offsets = mouth_model.CONTEXT
    assert features.shape[1] == sound.shape[1] + len(offsets) * len(MOUTH_NAMES)
    general_mouth = features[:, sound.shape[1]:].reshape(len(features), len(offsets), len(MOUTH_NAMES))
    for k, offset in enumerate(offsets):
        later = np.clip(np.arange(len(mouth)) + offset, 0, len(mouth) - 1)
        assert np.corrcoef(general_mouth[:, k, 0], mouth[later, 0])[0, 1] > 0.99


def test_a_template_whose_picture_lags_its_sound_is_named_in_the_log(testmedia, tmp_path, caplog):
    """woman_glasses_en's picture comes ~200 ms after its sound; man_map_en's is within two frames."""
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion.plan import mouth_targets

    said = {}
    for clip in ("woman_glasses_en.mp4", "man_map_en.mp4"):
        template = load_or_analyze(testmedia / "video" / clip, Settings(data_dir=tmp_path))
        audio = analyze_audio(load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE), template.video.fps)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="heygem.motion"):
            mouth_targets(template, audio, "learned")
        said[clip] = [r.getMessage() for r in caplog.records if "picture seems" in r.getMessage()]
    assert len(said["woman_glasses_en.mp4"]) == 1 and "ms behind its sound" in said["woman_glasses_en.mp4"][0]
    assert not said["man_map_en.mp4"]


def test_a_template_recorded_out_of_sync_is_aligned_before_it_is_learned_from(testmedia, tmp_path):
    """man_map_en (in sync) re-encoded with its soundtrack 5 frames (200 ms) early, as a camera
    whose picture lags its sound records it: aligned, the plan for new speech is the in-sync
    template's; kept as recorded, its mouths come 5 frames late."""
    from trainingscripts import load

    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion.plan import make_plan, mouth_targets, picture_lag

    probe = load("template_offset")  # its moved_soundtrack
    settings = Settings(data_dir=tmp_path / "data")
    clip = testmedia / "video" / "man_map_en.mp4"
    recorded = load_or_analyze(clip, settings)
    apart = load_or_analyze(probe.moved_soundtrack(clip, -5, tmp_path), settings)
    speech = analyze_audio(load_audio(testmedia / "audio" / "en_jane_16s.wav", SAMPLE_RATE), recorded.video.fps)
    in_sync = mouth_targets(recorded, speech)[:, 0]
    every = np.ones(len(in_sync), bool)
    aligned = mouth_targets(apart, speech, template_sync="align")[:, 0]
    kept = mouth_targets(apart, speech, template_sync="keep")[:, 0]
    assert abs(picture_lag(aligned, in_sync, every, 25.0)[0]) <= 1 and np.corrcoef(aligned, in_sync)[0, 1] > 0.95
    assert picture_lag(kept, in_sync, every, 25.0)[0] <= -3  # the kept offset: its mouths come later
    with pytest.raises(InputError, match="template sync"):
        make_plan(recorded, speech, np.zeros(speech.frame_count, int), template_sync="later")


def test_the_picture_lag_is_found_where_sound_and_mouth_agree_best():
    from heygem.motion.plan import picture_lag

    rng = np.random.default_rng(0)
    sound = np.convolve(rng.normal(size=250), np.ones(4) / 4, mode="same")
    valid = np.ones(250, bool)
    valid[100:110] = False  # frames without a measurable mouth are left out
    lag, at_lag, in_sync = picture_lag(sound, np.roll(sound, 3), valid, 25.0)  # the mouth 3 frames late
    assert lag == 3 and at_lag > 0.99 > in_sync + 0.3
    assert picture_lag(sound, np.roll(sound, -2), valid, 25.0)[0] == -2


def test_the_templates_soundtrack_is_analysed_once(testmedia, tmp_path, monkeypatch):
    """Every job on a template learns from the template's own speech: its analysis (phones
    included) is kept in the template's cache folder, and the next job reads it."""
    from heygem.analysis import phones
    from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
    from heygem.analysis.template import load_or_analyze
    from heygem.config import Settings
    from heygem.media.decode import load_audio
    from heygem.motion.plan import mouth_targets

    template = load_or_analyze(testmedia / "video" / "man_suit_en.mp4", Settings(data_dir=tmp_path))
    audio = analyze_audio(load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE), template.video.fps)
    audio = replace(audio, phones=phones.phone_shares(audio.samples, audio.fps, audio.frame_count))
    first = mouth_targets(template, audio, "learned")
    assert (template.cache_dir / "soundtrack.npz").is_file()

    def no_decoding(*args):
        raise AssertionError("the template's soundtrack was decoded again")

    monkeypatch.setattr(phones, "phone_shares", no_decoding)
    np.testing.assert_array_equal(mouth_targets(template, audio, "learned"), first)
    (template.cache_dir / "soundtrack.npz").write_bytes(b"not an npz")  # damaged: analysed again, not trusted
    monkeypatch.undo()
    np.testing.assert_array_equal(mouth_targets(template, audio, "learned"), first)
