"""What importing heygem does to its process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

BLAS_THREADS = """
import heygem, numpy, json
from threadpoolctl import threadpool_info
print(json.dumps([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]))
"""


def blas_threads(env: dict[str, str]) -> list[int]:
    """numpy's BLAS thread pools in a fresh process that imports heygem first, as the command does."""
    done = subprocess.run([sys.executable, "-c", BLAS_THREADS], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_numpy_blas_runs_on_one_thread_unless_the_caller_says_otherwise():
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    assert blas_threads(env) == [1]
    assert blas_threads({**env, "OPENBLAS_NUM_THREADS": "2"}) == [min(2, len(os.sched_getaffinity(0)))]
