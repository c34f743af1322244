"""Finding, reading and checking a user's Wav2Lip checkpoint (`wav2lip.pth` / `wav2lip_gan.pth`).

We ship no weights. A file that is missing, truncated or of another model must fail here, before
any frame is decoded, with a message that names the file and says what does not match.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ...errors import EngineUnavailable

ENV_VAR = "HEYGEM_WAV2LIP_CHECKPOINT"
# When several files sit in <data>/models/, the GAN-trained one gives sharper mouths.
PREFERRED_NAMES = ("wav2lip_gan.pth", "wav2lip.pth")
SHOWN = 3  # how many offending keys an error message lists


def locate(explicit: str | os.PathLike | None = None, models_dir: Path | None = None,
           environ: Mapping[str, str] | None = None) -> Path:
    """The checkpoint to use: `explicit` (--checkpoint), else $HEYGEM_WAV2LIP_CHECKPOINT, else
    `<data>/models/wav2lip*.pth`. Raises EngineUnavailable with where to put the file."""
    env = os.environ if environ is None else environ
    for value, source in ((explicit, "--checkpoint"), (env.get(ENV_VAR), ENV_VAR)):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise EngineUnavailable(f"Wav2Lip checkpoint not found: {path} (given by {source})")
            return path
    if models_dir is None:
        from ...config import Settings

        models_dir = Settings.from_env(dict(env)).models_dir
    found = sorted(p for p in Path(models_dir).glob("wav2lip*.pth") if p.is_file())
    for name in PREFERRED_NAMES:
        for path in found:
            if path.name == name:
                return path
    if found:
        return found[0]
    raise EngineUnavailable(
        f"no Wav2Lip checkpoint: put wav2lip_gan.pth (or wav2lip.pth) in {models_dir}/ or set {ENV_VAR}"
    )


def unavailable_reason(explicit: str | os.PathLike | None = None, models_dir: Path | None = None,
                       environ: Mapping[str, str] | None = None) -> str | None:
    """None when a checkpoint file is there to try, else the reason for the engine list.

    Cheap on purpose (no 400 MB read): a damaged file is reported when the engine loads it.
    """
    try:
        locate(explicit, models_dir, environ)
    except EngineUnavailable as exc:
        return str(exc)
    return None


def read_state_dict(path: Path) -> dict:
    """The generator's tensors from a checkpoint file, `module.` prefixes (multi-GPU training) removed."""
    import torch

    if not path.is_file():
        raise EngineUnavailable(f"Wav2Lip checkpoint not found: {path}")
    try:
        # weights_only: a .pth from the internet must not be able to run code when loaded.
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip/pickle, wrong format, disallowed object: all mean "bad file"
        raise EngineUnavailable(
            f"cannot read Wav2Lip checkpoint {path}: {type(exc).__name__}: {str(exc).rstrip('.') or 'unexpected end of file'}."
            " The file is damaged, incomplete or not a PyTorch checkpoint; download it again."
        ) from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        state = obj["state_dict"]
    elif isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        state = obj  # a bare state dict, as some re-exports save it
    else:
        entries = ", ".join(map(str, list(obj)[:8])) if isinstance(obj, dict) else type(obj).__name__
        raise EngineUnavailable(f"Wav2Lip checkpoint {path} has no 'state_dict' (it holds: {entries})")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _some(keys) -> str:
    keys = sorted(keys)
    more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more


def check_state_dict(state: Mapping, expected: Mapping, path: Path) -> None:
    """Raise EngineUnavailable naming missing keys, unexpected keys and wrong shapes (a few of each)."""
    import torch

    missing = expected.keys() - state.keys()
    unexpected = state.keys() - expected.keys()
    wrong = [
        f"{k} is {tuple(state[k].shape)}, expected {tuple(expected[k].shape)}"
        for k in sorted(expected.keys() & state.keys())
        if tuple(getattr(state[k], "shape", ())) != tuple(expected[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys ({_some(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys ({_some(unexpected)})")
    if wrong:
        more = f" and {len(wrong) - SHOWN} more" if len(wrong) > SHOWN else ""
        problems.append(f"{len(wrong)} wrong shapes ({'; '.join(wrong[:SHOWN])}{more})")
    if problems:
        raise EngineUnavailable(
            f"{path} is not a Wav2Lip generator checkpoint (96x96): " + "; ".join(problems)
            + ". Use wav2lip.pth or wav2lip_gan.pth from the Wav2Lip project (not the SyncNet expert or a HD variant)."
        )
    broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise EngineUnavailable(f"Wav2Lip checkpoint {path} is damaged: non-finite values in {_some(broken)}")


def load_generator(path: Path, device: str = "cpu", dtype=None):
    """A checked Wav2Lip generator in eval mode on `device` (fp16 if `dtype` says so)."""
    from .model import Wav2Lip

    state = read_state_dict(Path(path))
    model = Wav2Lip()
    check_state_dict(state, model.state_dict(), Path(path))
    model.load_state_dict(state)
    return model.to(device=device, dtype=dtype).eval()
