import numpy as np

from heygem.engines.mouthbank.donors import choose_donors


def make_template(n=200, seed=0):
    rng = np.random.default_rng(seed)
    descriptors = np.cumsum(rng.normal(size=(n, 9)) * 0.1, axis=0)
    poses = rng.normal(size=(n, 3))
    return descriptors, poses


def test_donors_match_targets_and_prefer_runs():
    desc, poses = make_template()
    usable = np.ones(len(desc), bool)
    usable[50:60] = False  # no face there
    wanted = np.r_[np.arange(100, 130), np.arange(10, 40), np.arange(150, 180)]
    targets = desc[wanted] + 0.005
    donors = choose_donors(targets, desc, poses, usable, np.arange(len(wanted)) % len(desc))
    assert usable[donors].all()
    assert np.mean(np.abs(donors - wanted) <= 1) > 0.9  # finds the frames that have these shapes
    assert np.mean(np.diff(donors) == 1) > 0.9  # and replays them as runs, not frame salad


def test_pose_far_from_the_base_frame_is_avoided():
    desc, poses = make_template()
    desc[120] = desc[20]  # two frames with the same mouth, one with the head turned far away
    poses[:] = 0
    poses[120] = (40, 0, 0)
    donors = choose_donors(desc[[20, 20, 20]], desc, poses, np.ones(len(desc), bool), np.array([5, 6, 7]))
    assert 120 not in donors
