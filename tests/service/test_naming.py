"""The download naming rule (service/naming.py) on real jobs of a real service."""

from __future__ import annotations

import zipfile

import pytest

from heygem.options import GenerateOptions
from heygem.service import JobStatus
from heygem.service.naming import MAX_STEM_BYTES, result_files, result_stems, safe_stem
from heygem.service.zipstream import write_zip


@pytest.mark.parametrize("label, stem", [
    ("anchor + news", "anchor + news"),
    ("主播 + 新闻", "主播 + 新闻"),
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),  # refused on Windows (and / everywhere)
    ("tab\there\nnewline", "tab here newline"),
    ("  .hidden. ", "hidden"),  # no dot files; Windows drops trailing dots and spaces
    ("..", "video"),
    ("", "video"),
    ("CON", "CON_"), ("nul.backup", "nul.backup_"), ("com1", "com1_"), ("console", "console"),
])
def test_safe_stem(label, stem):
    assert safe_stem(label) == stem


def test_long_names_are_cut_on_a_character_boundary():
    stem = safe_stem("数字人视频模板" * 30)
    assert len(stem.encode()) <= MAX_STEM_BYTES and stem == "数字人视频模板" * 7 + "数"


def test_names_are_unique_without_case_in_the_order_jobs_were_made(make_service, settings, media):
    service = make_service()
    options = GenerateOptions(engine="test-mark")
    jobs = [service.submit(media["video"], media["audio"], options, name=name)
            for name in ("Anchor", "anchor", "ANCHOR (2)", "anchor")]
    stems = result_stems(jobs[::-1], taken=["ANCHOR"])  # any order in, creation order decides
    assert [stems[job.id] for job in jobs] == ["Anchor (2)", "anchor (3)", "ANCHOR (2) (2)", "anchor (4)"]


def test_zip_holds_each_video_and_its_subtitles_under_one_stem(make_service, settings, media, tmp_path):
    service = make_service()
    service.start()
    plain = GenerateOptions(engine="test-mark", subtitles="srt", script="大家好。")
    transparent = GenerateOptions(engine="test-mark", subtitles="vtt", script="大家好。", background="transparent")
    jobs = [service.submit(media["video"], media["audio"], options, name="clip")
            for options in (plain, transparent)]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all, just bytes" * 10)
    failing = service.submit(media["video"], broken, plain, name="clip")  # takes no name
    done = service.wait([job.id for job in jobs + [failing]], timeout=60)
    assert [job.status for job in done[:2]] == [JobStatus.SUCCEEDED] * 2
    assert done[2].status is JobStatus.FAILED
    files = result_files(done)
    # .mp4 and .webm differ, but their subtitles would not: the second video is numbered.
    assert [name for name, _ in files] == ["clip.mp4", "clip.srt", "clip (2).webm", "clip (2).vtt"]
    with zipfile.ZipFile(write_zip(files, tmp_path / "out.zip")) as z:
        assert z.namelist() == [name for name, _ in files] and z.testzip() is None
        assert z.read("clip (2).webm") == done[1].output.read_bytes()
    assert not list(tmp_path.glob(".*.part"))
