import subprocess
import sys

from testengines import MarkEngine

from heygem.cli import main
from heygem.engines import registry

registry.register(MarkEngine)


def test_generate_prints_summary(tmp_path, tiny_media, capsys):
    video, audio = tiny_media
    out = tmp_path / "out.mp4"
    code = main(["--data-dir", str(tmp_path / "d"), "generate", "--video", str(video), "--audio", str(audio),
                 "-o", str(out), "--engine", "test-mark", "--device", "cpu"])
    printed = capsys.readouterr().out
    assert code == 0 and out.stat().st_size > 1000
    assert "No usable GPU" in printed and "50 frames (2.0 s of video at 25.00 fps)" in printed and "on cpu" in printed


def test_bad_input_exits_2_naming_the_file(tmp_path, tiny_media, capsys):
    video, _ = tiny_media
    missing = tmp_path / "nope.wav"
    code = main(["--data-dir", str(tmp_path / "d"), "generate", "--video", str(video), "--audio", str(missing),
                 "-o", str(tmp_path / "o.mp4"), "--engine", "loop"])
    assert code == 2
    assert f"audio file not found: {missing}" in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists()


def test_unknown_engine_and_cuda_without_gpu_are_clear_errors(tmp_path, tiny_media, capsys):
    video, audio = tiny_media
    base = ["--data-dir", str(tmp_path / "d"), "generate", "--video", str(video), "--audio", str(audio), "-o", str(tmp_path / "o.mp4")]
    assert main(base + ["--engine", "nonesuch"]) == 2
    assert "unknown engine 'nonesuch'" in capsys.readouterr().err
    assert main(base + ["--device", "cuda"]) == 2
    assert "CUDA is not usable" in capsys.readouterr().err


def test_template_sync_align_and_another_speaker(tmp_path, testmedia, caplog):
    """woman_glasses_en's picture comes ~200 ms after its sound: the log says it is kept as recorded
    and how to align it; with --template-sync align its soundtrack is moved instead. With --speaker
    other no person-specific model of the template's voice is used, and the offset does not matter."""
    import logging

    base = ["--data-dir", str(tmp_path / "d"), "generate", "--video", str(testmedia / "video" / "woman_glasses_en.mp4"),
            "--audio", str(testmedia / "audio" / "zh_bus_3s.wav"), "-o", str(tmp_path / "o.mp4"), "--device", "cpu"]
    said = []
    for flags in ([], ["--template-sync", "align"], ["--speaker", "other"]):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="heygem.motion"):
            assert main(base + flags) == 0
        said.append(" ".join(r.getMessage() for r in caplog.records
                             if "picture seems" in r.getMessage() or r.getMessage().startswith("mouth: ")))
    assert "kept as recorded" in said[0] and "--template-sync align" in said[0] and "weighted" in said[0]
    assert "its soundtrack is moved later" in said[1]
    assert "another voice" in said[2] and "weighted" not in said[2] and "picture seems" not in said[2]


def test_help_is_fast_and_imports_no_heavy_modules():
    code = "import sys, heygem.cli; heygem.cli.build_parser(); print(sorted(m for m in ('torch','cv2','gradio','mediapipe') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
