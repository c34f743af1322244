"""The second landmarker of `heygem eval --judge dlib`: it must measure the same mouth opening as
the face mesh on real frames (else its scores mean nothing), and say how to install it."""

import importlib.util

import numpy as np
import pytest

from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.errors import InputError
from heygem.evaluation import judge as judge_module
from heygem.evaluation.judge import dlib_judge
from heygem.evaluation.metrics import pearson


def test_dlib_and_the_face_mesh_see_the_same_mouth_move(testmedia, tmp_path):
    clip = testmedia / "video" / "man_suit_en.mp4"
    mesh = load_or_analyze(clip, Settings(data_dir=tmp_path)).mouth[:, 0]
    judge = dlib_judge()
    judged = judge.openings(clip)
    assert len(judged) == len(mesh) and np.isfinite(judged).all()
    assert pearson(judged, mesh) > 0.85  # 0.97 measured on the last 40% of this clip
    assert np.isnan(judge.opening(np.zeros((360, 640, 3), np.uint8)))  # no face, no opening


def test_without_dlib_the_judge_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(judge_module.importlib.util, "find_spec", lambda name: None if name == "dlib" else real(name))
    with pytest.raises(InputError, match=r"pip install -e '\.\[judge\]'"):
        dlib_judge()
