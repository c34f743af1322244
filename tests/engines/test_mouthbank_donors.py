import numpy as np

from heygem.engines.mouthbank.donors import DonorCosts, choose_donors
from heygem.render.lipwarp import PARTED


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


def test_a_closer_real_opening_wins_over_a_large_stretch():
    """Donor A has the wanted shape but opens 0.08 eye distances too little (the warp would have
    to stretch it that far); donor B opens right but is a little wider. Without a price on the
    warp A wins; with it (beyond DonorCosts.warp_free) the real opening does."""
    rng = np.random.default_rng(1)
    desc = rng.normal(size=(60, 9)) + 4  # other mouths: far from the wanted shape
    desc[:, 0] = rng.uniform(0.0, 0.3, 60)  # opening, inter-ocular units
    target = np.zeros(9)
    target[0] = 0.20
    desc[10], desc[40] = target, target
    desc[10, 0] = 0.12  # A
    desc[40, 1] = 3.5  # B
    poses, usable, base = np.zeros((60, 3)), np.ones(60, bool), np.zeros(1, int)
    free = choose_donors(target[None], desc, poses, usable, base, DonorCosts(warp_weight=0.0))
    priced = choose_donors(target[None], desc, poses, usable, base)
    assert free[0] == 10 and priced[0] == 40


def test_a_closed_mouth_is_not_stretched_open():
    """Donor A has the wanted shape but opens 0.04 eye distances too little, which the warp may add
    for free to a parted mouth; donor B opens right but is wider. A parted A is stretched; a closed
    A is not (its lips touch: stretching them opens nothing), so B is shown."""
    rng = np.random.default_rng(1)
    desc = rng.normal(size=(60, 9)) + 4  # other mouths: far from the wanted shape
    desc[:, 0] = rng.uniform(0.0, 0.3, 60)  # opening, inter-ocular units
    poses, usable, base = np.zeros((60, 3)), np.ones(60, bool), np.zeros(1, int)
    chosen = {}
    for a_open in (PARTED - 0.01, PARTED + 0.01):
        target = np.zeros(9)
        target[0] = a_open + 0.04
        desc[10], desc[40] = target, target
        desc[10, 0] = a_open  # A
        desc[40, 1] = 2.0  # B
        chosen[a_open < PARTED] = choose_donors(target[None], desc, poses, usable, base)[0]
    assert chosen == {False: 10, True: 40}
