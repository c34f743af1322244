"""The page's background controls: values, refusals, and a transparent result named .webm."""

from __future__ import annotations

import zipfile

import cv2
import numpy as np
import pytest

from heygem.errors import InputError
from heygem.service import JobStatus
from heygem.webui import actions


def test_background_controls_make_option_values(tmp_path):
    assert actions.background_value("keep") == "keep"
    assert actions.background_value("colour", " #1E90FF ") == "#1E90FF"
    with pytest.raises(InputError, match="type a colour"):
        actions.background_value("colour", "")
    with pytest.raises(InputError, match="type a colour"):
        actions.background_value("colour", "navy")
    picture = tmp_path / "server.png"  # a picture on the server is never reachable through the colour box
    assert cv2.imwrite(str(picture), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InputError, match="type a colour"):
        actions.background_value("colour", str(picture))
    with pytest.raises(InputError, match="upload a background picture"):
        actions.background_value("image", "#00FF00", None)
    with pytest.raises(InputError, match="background image file not found"):
        actions.background_value("image", image=str(tmp_path / "gone.png"))


def test_transparent_single_job_is_a_webm_under_its_readable_name(service, settings, media):
    job = actions.submit_single(service, settings, str(media["video"]), str(media["audio"]), engine="loop",
                                background=actions.background_value("transparent"))
    (done,) = service.wait([job.id], timeout=60)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.output.suffix == ".webm"
    named = actions.named_output(settings, done)
    assert named.name == "anchor + news.webm" and named.stat().st_size > 100
    with zipfile.ZipFile(actions.zip_jobs(service, settings, [done.id])) as z:
        assert z.namelist() == ["anchor + news.webm"]
