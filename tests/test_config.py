"""Size limits: one table in config.py gives each limit its variable and default, read by all."""

import pytest

from heygem.config import SIZE_LIMITS, Settings
from heygem.errors import InputError
from heygem.service.uploads import store_input
from heygem.units import MB


def test_every_size_limit_is_read_from_its_variable():
    settings = Settings.from_env({limit.env: "2.5" for limit in SIZE_LIMITS.values()})
    assert [settings.max_bytes(kind) for kind in SIZE_LIMITS] == [int(2.5 * MB)] * len(SIZE_LIMITS)
    assert settings.max_bytes("image") == settings.max_audio_bytes  # images share the audio limit
    assert Settings.from_env({}) == Settings()  # unset variables give the same defaults
    assert Settings().max_video_bytes == 500 * MB


@pytest.mark.parametrize(("kind", "variable"), [("video", "HEYGEM_MAX_VIDEO_MB"), ("audio", "HEYGEM_MAX_AUDIO_MB"),
                                                ("background image", "HEYGEM_MAX_AUDIO_MB")])
def test_a_file_over_its_limit_is_refused_naming_the_variable(tiny_media, tmp_path, kind, variable):
    video, audio = tiny_media
    with pytest.raises(InputError, match=f"{kind} file is too big .* set {variable} to change it"):
        store_input(video if kind == "video" else audio, kind, tmp_path / "uploads", max_bytes=100)
    assert not (tmp_path / "uploads").exists()  # nothing half-written
