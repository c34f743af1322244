"""JobRequest / BatchRequest: the submit rules every front end shares, and the defaults they show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from heygem.errors import InputError
from heygem.options import DEFAULTS, EncodeOptions, GenerateOptions
from heygem.service.request import BATCH_SHAPE, BOTH_SPEECH, NO_SPEECH, BatchRequest, JobRequest, check_job_id
from heygem.tts.synth import MAX_TEXT_CHARS


def test_a_job_speaks_an_audio_or_a_text_never_both_nor_neither():
    assert JobRequest("t.mp4", "a.wav").audio == Path("a.wav")
    assert JobRequest("t.mp4", text="hello").text == "hello"
    assert JobRequest("t.mp4", "a.wav", text="  \n").text is None  # a blank form field is no text
    with pytest.raises(InputError, match=f"^{re.escape(NO_SPEECH)}$"):
        JobRequest("t.mp4")
    with pytest.raises(InputError, match=f"^{re.escape(NO_SPEECH)}$"):
        JobRequest("t.mp4", text="   ")
    with pytest.raises(InputError, match=f"^{re.escape(BOTH_SPEECH)}$"):
        JobRequest("t.mp4", "a.wav", text="hello")
    with pytest.raises(InputError, match=f"text is {MAX_TEXT_CHARS + 1} characters long; the limit is"):
        BatchRequest(("t.mp4",), text="x" * (MAX_TEXT_CHARS + 1))


def test_job_ids_are_short_and_safe_in_paths_and_urls():
    assert JobRequest("t.mp4", "a.wav", job_id="task-0001_B").job_id == "task-0001_B"
    for bad in ("", "../escape", "a b", "x" * 65, "ü"):
        with pytest.raises(InputError, match="job id must be 1-64 letters, digits, '-' or '_', got"):
            JobRequest("t.mp4", "a.wav", job_id=bad)
    with pytest.raises(InputError, match="^code must be 1-64"):  # the /easy routes name it as HeyGem.ai does
        check_job_id("a/b", "code")


@pytest.mark.parametrize("options, message", [
    (GenerateOptions(batch_size=0), "batch size must be at least 1, got 0"),
    (GenerateOptions(encode=EncodeOptions(crf=52)), "crf must be from 0 to 51, got 52"),
    (GenerateOptions(encode=EncodeOptions(crf=-1)), "crf must be from 0 to 51, got -1"),
    (GenerateOptions(encode=EncodeOptions(preset="warp")), "preset must be one of ultrafast, .*, got 'warp'"),
    (GenerateOptions(subtitles="ass"), "subtitles must be one of none, srt, vtt, burn, got 'ass'"),
    (GenerateOptions(subtitles="srt", script="x" * (MAX_TEXT_CHARS + 1)),
     f"script is {MAX_TEXT_CHARS + 1} characters long; the limit is {MAX_TEXT_CHARS}"),
])
def test_options_out_of_range_are_refused_for_single_jobs_and_batches(options, message):
    with pytest.raises(InputError, match=message):
        JobRequest("t.mp4", "a.wav", options=options)
    with pytest.raises(InputError, match=message):
        BatchRequest(("t.mp4",), "a.wav", options=options)


def test_a_batch_is_one_speech_over_templates_or_audios_over_one_template():
    one_speech = BatchRequest(("a.mp4", "b.mp4"), text="hello", voice="en-joe")
    assert not one_speech.one_template and one_speech.videos == (Path("a.mp4"), Path("b.mp4"))
    one_template = BatchRequest(audios=("x.wav", "y.wav"), video="t.mp4")
    assert one_template.one_template and one_template.audios == (Path("x.wav"), Path("y.wav"))
    assert not BatchRequest(("t.mp4",), "a.wav").one_template  # one by one fits either shape

    with pytest.raises(InputError, match=f"^{re.escape(NO_SPEECH)}$"):
        BatchRequest(("a.mp4", "b.mp4"))
    with pytest.raises(InputError, match=f"^{re.escape(BOTH_SPEECH)}$"):
        BatchRequest(("a.mp4",), "a.wav", text="hello")
    for shape in (dict(), dict(video="t.mp4"), dict(audios=("x.wav",)),
                  dict(videos=("a.mp4",), audios=("x.wav",), video="t.mp4"),  # both sides many
                  dict(audio="a.wav", audios=("x.wav",), video="t.mp4"),  # one audio and several
                  dict(text="hello", audios=("x.wav",), video="t.mp4"),
                  dict(videos=("a.mp4",), audio="a.wav", video="t.mp4")):  # one template and several
        with pytest.raises(InputError, match=f"^{re.escape(BATCH_SHAPE)}$"):
            BatchRequest(**shape)


def test_every_front_end_defaults_to_the_options_defaults():
    from heygem.api.jobs import job_options
    from heygem.cli import build_parser
    from heygem.cli.generate import render_options
    from heygem.webui.actions import _options

    parser, _ = build_parser()
    generate = parser.parse_args(["generate", "--video", "t.mp4", "--audio", "a.wav", "-o", "o.mp4"])
    batch = parser.parse_args(["batch", "--audio", "a.wav", "--videos", "t.mp4", "--out", "out"])
    assert render_options(generate) == render_options(batch) == DEFAULTS == GenerateOptions()
    assert job_options() == DEFAULTS  # the REST form's defaults
    assert _options(None, None, None, None) == DEFAULTS  # the web page with its controls left empty


def test_cli_generate_refuses_what_the_service_refuses(tmp_path, capsys):
    from heygem.cli import main

    base = ["--data-dir", str(tmp_path / "d"), "generate", "--video", "t.mp4", "--audio", "a.wav",
            "-o", str(tmp_path / "o.mp4"), "--device", "cpu"]
    assert main(base + ["--batch-size", "0"]) == 2
    assert "batch size must be at least 1, got 0" in capsys.readouterr().err
    assert main(base + ["--crf", "60"]) == 2
    assert "crf must be from 0 to 51, got 60" in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists()
