"""HeyGem: a template video of a person plus new speech -> the same person saying the new words."""

import os

__version__ = "0.1.0"

# numpy's BLAS on one thread, set before numpy is first imported (its import starts the threads):
# a job's matrices are small, and the extra threads spin on the cores that the phone decoders and
# the encoder need (60 s of 480p: ~0.3 s less CPU per job). A caller that set it keeps its own.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
