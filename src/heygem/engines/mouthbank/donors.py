"""Choose, for each output frame, the template frame whose mouth is shown (the donor).

Dynamic programming over the best candidates per frame: a donor should match the target mouth
shape, have a head pose close to the base frame's, and continue the previous choice smoothly:
runs of consecutive template frames replay real motion, so they cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...render.lipwarp import PARTED


@dataclass(frozen=True)
class DonorCosts:
    candidates: int = 16
    """Template frames considered per output frame (the best by shape and pose)."""
    pose_weight: float = 1.0
    """Cost per (10 degrees)^2 of yaw/pitch/roll difference between donor and base frame: a mouth
    from a head nodded differently looks more or less open once placed in the base face."""
    hold: float = 0.3
    """Cost of showing the same donor frame again (a frozen mouth looks dead)."""
    jump: float = 1.2
    """Cost of cutting to a non-consecutive donor (on top of the visual mismatch at the cut). Each
    cut makes the lips step; on the development set (`heygem eval --devset`, held-out models) 1.2
    instead of 0.6 lowered the jitter on 18 of 19 clips (mean 1.14 -> 1.09) at the same mouth
    opening r (0.417 -> 0.415); 2.4 lowered it further (1.05) but cost opening r (0.413), closed
    mouths in silence (97% -> 96%) and the weakest recording (MEAD M026 0.17 -> 0.11)."""
    warp_free: float = 0.04
    """How much further (inter-ocular units; about 5 px on a 1080p head-and-shoulders shot) the lip
    warp may open a parted donor (render/lipwarp.PARTED) at no extra cost: a stretch that small
    looks real. Closing needs no such limit (it only drops rows of the donor's own gap)."""
    warp_weight: float = 1.0
    """Cost per (warp_free)^2 of opening beyond warp_free: twice the free amount costs about as
    much as a cut, so a closer real mouth wins over a stretch that would show, while runs of real
    frames still win over tiny improvements."""


def _column_scale(descriptors: np.ndarray) -> np.ndarray:
    """Per-column spread, with "open" weighted most: it is what viewers read lips by."""
    spread = np.nanstd(descriptors, axis=0) + 1e-6
    weights = np.ones(descriptors.shape[1])
    weights[0] = 3.0
    return weights / spread


RUN_LOOKBACK = 3
"""Output frames back whose candidates' continuations are also candidates."""
TRANSITION_CHUNK = 64
"""Output frames whose transition costs are computed together: memory stays flat for long outputs,
and the few arrays of a chunk (~2 MB each) stay in the CPU's cache while they are worked on (256
frames: 1.5x the time)."""


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of a and b, (len(a), len(b))."""
    return np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)


def choose_donors(
    targets: np.ndarray,
    descriptors: np.ndarray,
    poses: np.ndarray,
    usable: np.ndarray,
    base_indices: np.ndarray,
    costs: DonorCosts = DonorCosts(),
) -> np.ndarray:
    """Donor template frame per output frame, (T,) int.

    targets (T, D) wanted mouth descriptors; descriptors (n, D) and poses (n, 3) of the template
    frames; usable (n,) frames with a face; base_indices (T,) the template frame under each output.
    """
    pool = np.flatnonzero(usable)
    desc = np.where(np.isfinite(descriptors), descriptors, np.nanmean(descriptors[pool], axis=0))
    scale = _column_scale(desc[pool])
    d_all = desc * scale
    d_target = targets * scale
    pose_all = np.nan_to_num(poses / 10.0, nan=0.0)
    base_pose = pose_all[base_indices]
    n, dims = len(desc), desc.shape[1]

    def unary(rows: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """Shape + pose cost of showing template frame frames[i, j] at output frame rows[i]."""
        shape = ((d_target[rows][:, None, :] - d_all[frames]) ** 2).sum(-1) / dims
        pose = ((base_pose[rows][:, None, :] - pose_all[frames]) ** 2).sum(-1)
        return shape + costs.pose_weight * pose + warp_cost(rows, frames) + np.where(usable[frames], 0.0, 1e6)

    def warp_cost(rows: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """What the lip warp would have to open beyond the free amount (see render/lipwarp.py);
        a closed mouth has no gap to stretch, so none of its opening is free."""
        free = np.where(desc[frames, 0] >= PARTED, costs.warp_free, 0.0)
        excess = np.maximum(targets[rows, 0][:, None] - desc[frames, 0] - free, 0.0)
        return costs.warp_weight * (excess / costs.warp_free) ** 2

    k = min(costs.candidates, len(pool))
    top = np.empty((len(targets), k), dtype=np.int64)  # template frame numbers
    for start in range(0, len(targets), 512):  # chunks keep memory flat for long outputs
        rows = np.arange(start, min(start + 512, len(targets)))
        cost = _sq_dist(d_target[rows], d_all[pool]) / dims + costs.pose_weight * _sq_dist(base_pose[rows], pose_all[pool])
        top[rows] = pool[np.argpartition(cost, k - 1, axis=1)[:, :k]]
    # Also offer the continuations of recent good candidates, so runs of consecutive frames
    # survive even where their next frame is not among this frame's best.
    extended = [top]
    for lag in range(1, RUN_LOOKBACK + 1):
        shifted = np.concatenate([top[:lag], top[:-lag] + lag]) if lag < len(top) else top
        extended.append(np.minimum(shifted, n - 1))
    frames = np.concatenate(extended, axis=1)
    cand_cost = np.concatenate([unary(np.arange(s, min(s + 512, len(targets))), frames[s : s + 512])
                                for s in range(0, len(targets), 512)])
    k = frames.shape[1]

    def transitions(steps: np.ndarray) -> np.ndarray:
        """(len(steps), k, k) cost of going from candidate i at output frame t - 1 to candidate j
        at t, for each t in steps: they depend on the candidates only, not on the path."""
        prev, cur = frames[steps - 1], frames[steps]
        # visual mismatch at a cut: how far the new donor is from where the old run would go next
        nxt, new = d_all[np.minimum(prev + 1, n - 1)], d_all[cur]
        mismatch, diff = np.zeros((len(steps), k, k)), np.empty((len(steps), k, k))
        for d in range(dims):  # summed column by column: the same sums as over the last axis, faster
            np.subtract(nxt[:, :, None, d], new[:, None, :, d], out=diff)
            diff *= diff
            mismatch += diff
        mismatch /= dims
        mismatch += costs.jump
        prev, cur = prev[:, :, None], cur[:, None, :]
        mismatch[np.broadcast_to(cur == prev, mismatch.shape)] = costs.hold
        mismatch[np.broadcast_to(cur == prev + 1, mismatch.shape)] = 0.0
        return mismatch

    total = cand_cost[0].copy()
    back = np.zeros(frames.shape, dtype=np.int64)
    columns = np.arange(k)
    for start in range(1, len(targets), TRANSITION_CHUNK):
        steps = np.arange(start, min(start + TRANSITION_CHUNK, len(targets)))
        for t, trans in zip(steps, transitions(steps)):
            step = total[:, None] + trans
            back[t] = np.argmin(step, axis=0)
            total = step[back[t], columns] + cand_cost[t]
    path = np.empty(len(targets), dtype=np.int64)
    j = int(np.argmin(total))
    for t in range(len(targets) - 1, -1, -1):
        path[t] = frames[t, j]
        j = back[t, j]
    return path
