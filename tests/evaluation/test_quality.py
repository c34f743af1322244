"""Quality floors on the real clips (skipped without them): the `heygem eval` protocol, with margin
below the measured values so a regression fails."""

import pytest

from heygem.config import Settings
from heygem.evaluation.judge import dlib_judge
from heygem.evaluation.run import evaluate_clip, mean_rows


@pytest.fixture(scope="module")
def table(tmp_path_factory, testmedia):
    media = testmedia
    work = tmp_path_factory.mktemp("eval")
    settings = Settings(data_dir=work / "data")
    rows, judge = [], dlib_judge()
    for clip in sorted((media / "video").glob("*.mp4")):
        rows += evaluate_clip(clip, work, settings, judge=judge)
    return {(r.clip, r.method): r.scores for r in rows + mean_rows(rows)}, work


@pytest.mark.slow
def test_lips_follow_the_audio_better_than_baselines(table):
    scores, _ = table
    ours, loud, loop = (scores[("mean", m)] for m in ("mouthbank", "loudness-only", "looped template"))
    # These four speakers are kept out of the shipped general mouth model's training, so this is
    # the r of unheard speakers (about 0.40 measured; the earlier 0.60 came from constants fitted
    # to these very clips and did not carry over to other people).
    assert ours.open_r >= 0.3
    assert ours.open_r >= loud.open_r + 0.1 and ours.open_r >= loop.open_r + 0.2
    assert ours.lip_distance < loop.lip_distance
    # As another landmarker sees it (dlib's 68 points; the outside judge), with the margins
    # smaller than the face mesh's: 0.38 vs 0.22 (loudness) and 0.11 (looped) measured.
    assert ours.open_r_dlib >= 0.25
    assert ours.open_r_dlib >= loud.open_r_dlib + 0.05 and ours.open_r_dlib >= loop.open_r_dlib + 0.1


@pytest.mark.slow
def test_silence_stillness_and_untouched_upper_face(table):
    scores, work = table
    clips = {c for c, m in scores if c != "mean"}
    for clip in clips:
        s = scores[(clip, "mouthbank")]
        assert s.above_nose_psnr >= 40, clip
        assert s.jitter_ratio <= 1.5, clip
    assert scores[("mean", "mouthbank")].closed_in_silence >= 0.8
    # No mouth frozen while the voice goes on (0.4 s within a tenth of the person's range): 0% of the
    # speech frames measured (10% before the plan's movement was matched to the person's, all in
    # man_map_en: 41%, its real video 0%); a still mouth reads 100%.
    assert scores[("mean", "mouthbank")].frozen_in_speech <= 0.25
    assert all((work / clip / "contact_sheet.png").stat().st_size > 10_000 for clip in clips)
