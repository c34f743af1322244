"""Audio analysis + template analysis -> the per-frame motion plan (base frame, target mouth)."""

from __future__ import annotations

import logging
import zipfile
from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..media.checks import written_whole
from ..options import SPEAKERS, TEMPLATE_SYNCS
from ..types import AudioAnalysis, MotionPlan
from . import calibration, mouth_model
from .smoothing import gaussian_smooth

log = logging.getLogger("heygem.motion")

MOTIONS = ("learned", "loudness")

LEAD_S = 0.3
"""The mouth follows the model from this long before a phrase's first sound (lips part early)..."""
RELEASE_S = 0.3
"""...until this long after its last sound, and closes beyond. Real speakers keep their speaking
mouth that close to speech: in the development set's videos a mouth within 0.3 s of speech is
closed in 15-20% of the frames (a quarter of all frames count as closed), 0.5-1 s away in half,
further away in all (training/pause_closure.py)."""
INHALE_S = 0.6
"""An audible breath this close before a phrase opens the mouth early: people inhale through it."""
BREATH_DB = (12.0, 30.0)
"""An audible (non-speech) sound: this much above the recording's noise floor, and no more than
this much below its speech (digital silence between TTS sentences makes any faint tail "loud")."""
LITTLE_VARIETY = 0.05
"""A template whose mouth opening varies less than this (5th to 95th percentile, inter-ocular
units) barely speaks: its own range cannot show speech."""
SPEAKING_OPENING = 0.12
"""How far above rest a typical mouth opens in loud speech (inter-ocular units), used then."""


SYNC_SEARCH_S = 0.24
"""How far apart a template's sound and picture are looked for."""
SYNC_WARN_S = 0.1
"""A template whose picture and sound agree best this far apart or more is out of sync: about
where people start to notice (broadcasting's detectability thresholds are ~45 ms for sound first
and ~125 ms for picture first)."""
SYNC_MARGIN = 0.1
"""...and only when agreement there beats agreement in sync by this much (r): short templates give
noisy peaks. On the development set's whole clips (the shipped model) this names six of the seven
recordings found out of sync by 3-5 frames (not de_man_anchor, where the shipped model peaks at 2
frames) and none of the others (README, "Templates out of sync")."""
ANOTHER_VOICE_FRAMES = 51
"""Speech in another voice is calibrated on its own output from this many speech frames on (2 s at
25 fps), shorter speech on the template's soundtrack: from 25 or 12 frames the evaluation's drives
read lower (training/README.md)."""
SHORT_TEMPLATE_S = 10.0
"""A template with fewer seconds than this of the person on screen gives the person-specific learner
little to learn from (README, "How the default engine works": planned r 0.25 from 2 s, 0.39 from 8
s, 0.53 from 11-36 s); the log asks for a longer one."""

SOUNDTRACK_VERSION = 1
"""Of the template soundtrack's analysis kept in the template's cache folder: bump it when the
audio analysis or the phone decoding changes."""


def _template_audio(template, fps) -> AudioAnalysis | None:
    """The template's own soundtrack, analysed like the driving audio, its phones decoded; None
    without speech. The same for every job on this template, so it is kept in the template's
    cache folder (~0.5 s of CPU per minute of soundtrack saved per job)."""
    from ..analysis.audio import SAMPLE_RATE, analyze_audio
    from ..analysis.phones import phone_shares
    from ..media.decode import load_soundtrack

    if not template.video.has_audio:
        return None
    path, key = template.cache_dir / "soundtrack.npz", f"{SOUNDTRACK_VERSION} {fps}"
    try:
        with np.load(path, allow_pickle=False) as kept:
            if str(kept["key"]) == key:
                return AudioAnalysis(np.zeros(0, np.float32), SAMPLE_RATE, fps, len(kept["loudness"]), kept["loudness"],
                                     kept["speech"], kept["features"], kept["phones"])
    except FileNotFoundError:
        pass
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("template soundtrack analysis %s unreadable (%s): analysing again", path, exc)
    try:
        samples = load_soundtrack(template.video.path, SAMPLE_RATE)
    except InputError as exc:
        log.info("template soundtrack unusable for learning (%s)", exc)
        return None
    own = analyze_audio(samples, fps)
    own = replace(own, phones=phone_shares(samples, fps, own.frame_count))
    try:
        with written_whole(path) as part, open(part, "wb") as f:
            np.savez(f, key=key, loudness=own.loudness, speech=own.speech, features=own.features, phones=own.phones)
    except OSError as exc:
        log.warning("template soundtrack analysis not kept (%s)", exc)
    return own


def _aligned(rows: np.ndarray, count: int) -> np.ndarray:
    """Rows cut or edge-padded to count (audio and video lengths differ by a frame or two)."""
    if len(rows) >= count:
        return rows[:count]
    return np.concatenate([rows, np.repeat(rows[-1:], count - len(rows), axis=0)])


def rest_shape(descriptors: np.ndarray) -> np.ndarray:
    """The closed, relaxed mouth of this person: median of their least open fifth of frames."""
    open_ = descriptors[:, 0]
    return np.nanmedian(descriptors[open_ <= np.nanpercentile(open_, 20)], axis=0)


def mouth_active(audio: AudioAnalysis) -> np.ndarray:
    """Frames where the mouth follows the audio: speech, the moments before and after each phrase,
    and an audible in-breath just before a phrase. Elsewhere it rests closed."""
    speech = audio.speech
    fps = float(audio.fps)
    above_floor, below_speech = BREATH_DB
    speech_level = np.median(audio.loudness[speech]) if speech.any() else np.inf
    audible = audio.loudness > max(np.percentile(audio.loudness, 10) + above_floor, speech_level - below_speech)
    lead, release, inhale = (int(round(seconds * fps)) for seconds in (LEAD_S, RELEASE_S, INHALE_S))
    active = speech.copy()
    starts = np.flatnonzero(speech & ~np.r_[False, speech[:-1]])
    ends = np.flatnonzero(speech & ~np.r_[speech[1:], False]) + 1
    for start, previous_end in zip(starts, np.r_[0, ends[:-1]]):
        earliest = max(previous_end, start - inhale)
        breath = np.flatnonzero(audible[earliest:start])
        opens = earliest + breath[0] if len(breath) else start
        active[max(previous_end, min(opens, start - lead)) : start] = True
    for end in ends:
        active[end : end + release] = True
    return active


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return mouth_model._pearson(a.astype(np.float64), b.astype(np.float64))


def picture_lag(predicted: np.ndarray, opening: np.ndarray, valid: np.ndarray, fps: float) -> tuple[int, float, float]:
    """(frames by which the template's picture lags its sound (negative: leads), r there, r in
    sync): where the general model's opening from the template's soundtrack agrees best with its
    real mouth, within SYNC_SEARCH_S. The model learned from many people's sound and lips, so a
    clear peak away from 0 is the recording's offset rather than this person's habit."""
    reach = max(1, round(SYNC_SEARCH_S * fps))
    agreement = {}
    for lag in range(-reach, reach + 1):
        sound = np.arange(max(0, -lag), min(len(opening), len(opening) - lag))
        both = valid[sound] & valid[sound + lag]
        if both.sum() > 2 * reach:
            agreement[lag] = _pearson(predicted[sound[both]], opening[sound[both] + lag])
    if 0 not in agreement:
        return 0, float("nan"), float("nan")
    best = max(agreement, key=agreement.get)
    return best, agreement[best], agreement[0]


def _sync_offset(predicted: np.ndarray, opening: np.ndarray, valid: np.ndarray, fps: float) -> int:
    """Frames by which the template's picture clearly lags its sound (negative: leads); 0 when they
    are not clearly apart (README, "Templates out of sync")."""
    lag, at_lag, in_sync = picture_lag(predicted, opening, valid, fps)
    return lag if abs(lag) >= SYNC_WARN_S * fps and at_lag >= in_sync + SYNC_MARGIN else 0


def _delayed(audio: AudioAnalysis, frames: int) -> AudioAnalysis:
    """The analysis with every row moved `frames` later (earlier if negative), ends repeated."""
    rows = np.clip(np.arange(audio.frame_count) - frames, 0, audio.frame_count - 1)
    return replace(audio, loudness=audio.loudness[rows], speech=audio.speech[rows], features=audio.features[rows],
                   phones=None if audio.phones is None else audio.phones[rows])


def person_weight(general_r: float, person_r: float) -> float:
    """How much the person-specific model counts next to the calibrated general model: each by the
    share of the template's mouth movement it explains (r squared; one no better than chance on the
    template counts for nothing). Validated on the development set against using the better of the
    two alone and a plain average (README, "Quality")."""
    general_share, person_share = max(general_r, 0.0) ** 2, max(person_r, 0.0) ** 2
    return person_share / (general_share + person_share) if person_share > 0 else 0.0


def _learner_inputs(audio: AudioAnalysis, general_mouths: np.ndarray) -> np.ndarray:
    """What the person-specific learner hears per frame of general_mouths (the calibrated general
    model's): the sound and those mouths, both over mouth_model.CONTEXT."""
    sound = _aligned(mouth_model.audio_features(audio.features, audio.loudness, audio.speech), len(general_mouths))
    return np.concatenate([sound, mouth_model.context_stack(general_mouths)], axis=1)


def _in_sync(own: AudioAnalysis, own_predicted: np.ndarray, template, valid: np.ndarray, model,
             template_sync: str) -> tuple[AudioAnalysis, np.ndarray]:
    """The template's soundtrack and the general model's mouths from it, moved back into sync
    with its picture where the two are clearly apart and template_sync is "align" (as recorded
    otherwise); the log says when they are apart."""
    n, fps = template.frame_count, own.fps
    lag = _sync_offset(own_predicted[:, 0], template.mouth[:, 0], valid, float(fps))
    if lag:
        ms, side = round(abs(lag) / float(fps) * 1000), "behind" if lag > 0 else "ahead of"
        apart = f"the template's picture seems {ms} ms {side} its sound"
        if template_sync == "align":
            log.warning("%s: its soundtrack is moved %s that much before HeyGem learns from it, so videos "
                        "made from it keep in sync with the new speech", apart, "later" if lag > 0 else "earlier")
            own = _delayed(own, lag)
            own_predicted = _aligned(model.predict(own), n)
        else:
            log.warning("%s; kept as recorded, videos made from it may show their mouths %s the speech "
                        "(aligning it moves its soundtrack back into sync first: the web UI's align box, "
                        "`heygem generate --template-sync align`, the API's template_sync=align)",
                        apart, "that much after" if lag > 0 else "up to that much before")
    return own, own_predicted


def _another_voice(predicted: np.ndarray, audio: AudioAnalysis, own: AudioAnalysis, own_predicted: np.ndarray,
                   template, valid: np.ndarray, descriptors: np.ndarray) -> np.ndarray:
    """Mouths for speech in another voice than the template's: the general model alone, its output
    over the new speech moved and scaled onto this person's mouths while they speak (their mean and
    spread; calibration.linear_match says why not quantile by quantile). The person-specific learner
    learned the template's voice, and the template's soundtrack says how the general model hears
    that voice, not this one; on other voices both do worse (training/sync_eval.py). Timing plays
    no part, so the template's sync is not checked. Speech of fewer than ANOTHER_VOICE_FRAMES speech
    frames is calibrated on the template's soundtrack instead."""
    speaking = valid & _aligned(own.speech, template.frame_count)
    heard = predicted[audio.speech]
    if min(len(heard), int(speaking.sum())) >= ANOTHER_VOICE_FRAMES:
        to_person, on = calibration.linear_match(heard, template.mouth[speaking]), "the new speech"
    else:
        to_person, on = calibration.linear_match(own_predicted[valid], descriptors), "the template's soundtrack"
    log.info("mouth: general model calibrated to this person on %s (r(open) %.2f on the template); the new "
             "speech is another voice, so no person-specific model of the template's voice", on,
             _pearson(own_predicted[valid, 0], descriptors[:, 0]))
    return to_person.apply(predicted)


def learned_targets(template, audio: AudioAnalysis, own: AudioAnalysis | None, valid: np.ndarray,
                    descriptors: np.ndarray, weights: str | None = None, template_sync: str = "keep",
                    speaker: str = "template") -> np.ndarray:
    """The general model's mouth per output frame, calibrated to this person, averaged with a
    person-specific learner's by how well each predicts the template's own speech (the learner
    cross-validated on the template, the general model never saw it). The learner hears the
    calibrated general model's mouths next to the sound, with the same context, so from a few
    seconds of speech it learns where and when this person departs from the general model rather
    than the whole mapping again. A template whose picture and sound are clearly apart is learned
    from as recorded (template_sync "keep": the learner then passes part of the offset on), or with
    its soundtrack moved back into sync first ("align"). Speech in another voice (speaker "other")
    goes to _another_voice instead. own: the template's soundtrack analysed (_template_audio)."""
    from . import general

    model = general.load(weights)
    predicted = model.predict(audio)
    if own is None:
        log.info("template has no usable soundtrack: calibrating the general mouth model on the driving audio")
        return calibration.quantile_match(predicted, descriptors).apply(predicted)
    n = template.frame_count
    own_predicted = _aligned(model.predict(own), n)
    if speaker == "other":
        return _another_voice(predicted, audio, own, own_predicted, template, valid, descriptors)
    own, own_predicted = _in_sync(own, own_predicted, template, valid, model, template_sync)
    to_person = calibration.quantile_match(own_predicted[valid], descriptors)
    calibrated = to_person.apply(predicted)
    general_score = _pearson(own_predicted[valid, 0], descriptors[:, 0])
    person = mouth_model.fit(_learner_inputs(own, to_person.apply(own_predicted)), template.mouth, valid)
    if person is None:
        log.info("mouth: general model calibrated to this person (r(open) %.2f on the template; no "
                 "person-specific model)", general_score)
        return calibrated
    weight = person_weight(general_score, person.score)
    log.info("mouth: general model calibrated to this person (r(open) %.2f on the template) and "
             "person-specific model (cross-validated %.2f), weighted %.2f : %.2f",
             general_score, person.score, 1 - weight, weight)
    if weight == 0:
        return calibrated
    own_mouths = person.predict(_learner_inputs(audio, calibrated))
    return ((1 - weight) * calibrated + weight * own_mouths).astype(np.float32)


def mouth_targets(template, audio: AudioAnalysis, motion: str = "learned", active: np.ndarray | None = None,
                  weights: str | None = None, template_sync: str = "keep", speaker: str = "template") -> np.ndarray:
    """Target mouth descriptor per output frame; active: mouth_active(audio), if already known;
    weights: the general model's weights file (None: the shipped one); template_sync, speaker: see
    learned_targets."""
    valid = template.has_face & np.all(np.isfinite(template.mouth[:, :-1]), axis=1)
    descriptors = template.mouth[valid]
    descriptors = np.where(np.isfinite(descriptors), descriptors, np.nanmean(descriptors, axis=0))
    active = mouth_active(audio) if active is None else active
    if motion == "learned":
        seen_s = valid.sum() / float(audio.fps)
        if speaker == "template" and seen_s < SHORT_TEMPLATE_S:
            log.info("template: %.1f s of the person; the mouths follow their speech more closely from a "
                     "template of %g s or more", seen_s, SHORT_TEMPLATE_S)
        own = _template_audio(template, audio.fps)
        targets = learned_targets(template, audio, own, valid, descriptors, weights, template_sync, speaker)
        speaking = valid if own is None else valid & _aligned(mouth_active(own), len(valid))
        targets = calibration.match_motion(targets, active, template.mouth[:, 0], speaking, float(audio.fps))
    else:
        targets = mouth_model.loudness_targets(audio.loudness, audio.speech, descriptors)
    low, high = np.percentile(descriptors, 1, axis=0), np.percentile(descriptors, 99, axis=0)
    targets = np.clip(targets, low, high)
    rest = rest_shape(descriptors)
    if np.ptp(np.percentile(descriptors[:, 0], [5, 95])) < LITTLE_VARIETY:
        log.info("the template barely moves its mouth: the closest real mouths are opened by warping, following loudness")
        targets[:, 0] = rest[0] + SPEAKING_OPENING * mouth_model.loudness_rank(audio.loudness, audio.speech)
    return closed_in_pauses(targets, active, rest)


def closed_in_pauses(targets: np.ndarray, active: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Targets at rest where the mouth is not active, easing over the neighbouring active frames
    instead of snapping, then smoothed a little."""
    active = active.astype(np.float32)
    speaking = np.minimum(active, gaussian_smooth(active, 1.0))[:, None]
    targets = speaking * targets + (1 - speaking) * rest
    return gaussian_smooth(targets, 0.7, axis=0).astype(np.float32)


def make_plan(template, audio: AudioAnalysis, base_indices: np.ndarray, motion: str = "learned",
              weights: str | None = None, template_sync: str = "keep", speaker: str = "template") -> MotionPlan:
    """The base frame under each output frame, where the mouth follows the audio, and (with a
    template analysis) the target mouth descriptor of each output frame."""
    if motion not in MOTIONS:
        raise InputError(f"unknown motion model {motion!r}; choose from {', '.join(MOTIONS)}")
    if template_sync not in TEMPLATE_SYNCS:
        raise InputError(f"unknown template sync {template_sync!r}; choose from {', '.join(TEMPLATE_SYNCS)}")
    if speaker not in SPEAKERS:
        raise InputError(f"unknown speaker {speaker!r}; choose from {', '.join(SPEAKERS)}")
    active = mouth_active(audio)
    targets = None if template is None else mouth_targets(template, audio, motion, active, weights, template_sync, speaker)
    return MotionPlan(base_indices=base_indices, mouth_targets=targets, mouth_active=active)
