"""Reading users' Wav2Lip checkpoints: the public layout loads, anything else fails naming the file."""

from pathlib import Path

import pytest
import torch
from wav2lipweights import synthetic_state_dict

from heygem.engines.wav2lip.checkpoint import (
    ENV_VAR,
    load_generator,
    locate,
    read_state_dict,
    unavailable_reason,
)
from heygem.errors import EngineUnavailable


def save_like_public(path: Path, state: dict, legacy: bool = True) -> Path:
    """As the Wav2Lip training script saved them: DataParallel `module.` keys, optimizer and step
    counters beside, in the pre-1.6 (non-zip) torch format the downloadable files use."""
    torch.save(
        {
            "state_dict": {f"module.{k}": v for k, v in state.items()},
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "betas": (0.5, 0.999), "params": [0, 1]}]},
            "global_step": 253000,
            "global_epoch": 1460,
        },
        path,
        _use_new_zipfile_serialization=not legacy,
    )
    return path


@pytest.fixture(scope="module")
def state() -> dict:
    return synthetic_state_dict()


@pytest.fixture(scope="module")
def public_file(tmp_path_factory, state) -> Path:
    return save_like_public(tmp_path_factory.mktemp("ckpt") / "wav2lip_gan.pth", state)


def test_public_layout_loads_and_matches_the_weights(public_file, state):
    model = load_generator(public_file)
    assert not model.training
    loaded = model.state_dict()
    for key in ("face_encoder_blocks.0.0.conv_block.0.weight", "output_block.1.bias",
                "audio_encoder.12.conv_block.1.running_var"):
        assert torch.equal(loaded[key], state[key])


def test_zip_format_and_bare_state_dict_load(tmp_path, state):
    zipped = save_like_public(tmp_path / "zip.pth", state, legacy=False)
    assert set(read_state_dict(zipped)) == set(state)
    bare = tmp_path / "bare.pth"
    torch.save(state, bare)
    assert set(read_state_dict(bare)) == set(state)


def test_fp16_load(public_file):
    model = load_generator(public_file, dtype=torch.float16)
    assert next(model.parameters()).dtype == torch.float16


def test_truncated_file_fails_clearly(tmp_path, public_file):
    broken = tmp_path / "wav2lip.pth"
    broken.write_bytes(public_file.read_bytes()[: 40 * 1024 * 1024])
    with pytest.raises(EngineUnavailable, match=r"cannot read Wav2Lip checkpoint .*wav2lip\.pth.*damaged"):
        load_generator(broken)


def test_not_a_checkpoint_fails_clearly(tmp_path):
    text = tmp_path / "wav2lip.pth"
    text.write_text("<html>404 Not Found</html>")
    with pytest.raises(EngineUnavailable, match="cannot read Wav2Lip checkpoint"):
        load_generator(text)
    other = tmp_path / "other.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "epoch": 3}, other)
    with pytest.raises(EngineUnavailable, match=r"other\.pth has no 'state_dict' \(it holds: model, epoch\)"):
        load_generator(other)


def test_wrong_shapes_are_listed(tmp_path, state):
    bad = dict(state)
    bad["output_block.1.weight"] = torch.zeros(3, 16, 1, 1)
    bad["audio_encoder.0.conv_block.0.weight"] = torch.zeros(32, 3, 3, 3)
    path = save_like_public(tmp_path / "w.pth", bad)
    with pytest.raises(EngineUnavailable) as info:
        load_generator(path)
    message = str(info.value)
    assert str(path) in message and "2 wrong shapes" in message
    assert "output_block.1.weight is (3, 16, 1, 1), expected (3, 32, 1, 1)" in message
    assert "missing" not in message


def test_other_model_lists_missing_and_unexpected_keys(tmp_path, state):
    # e.g. the SyncNet expert (lipsync_expert.pth) instead of the generator
    other = {k: v for k, v in state.items() if not k.startswith("face_decoder_blocks")}
    other["face_encoder.0.conv_block.0.weight"] = torch.zeros(32, 15, 7, 7)
    path = save_like_public(tmp_path / "lipsync_expert.pth", other)
    with pytest.raises(EngineUnavailable) as info:
        load_generator(path)
    message = str(info.value)
    assert "lipsync_expert.pth" in message
    assert "missing keys (face_decoder_blocks." in message and " more)" in message
    assert "1 unexpected keys (face_encoder.0.conv_block.0.weight)" in message


def test_nan_weights_are_damage(tmp_path, state):
    bad = dict(state)
    bad["output_block.1.bias"] = torch.tensor([0.0, float("nan"), 0.0])
    with pytest.raises(EngineUnavailable, match="damaged: non-finite values in output_block.1.bias"):
        load_generator(save_like_public(tmp_path / "nan.pth", bad))


def test_locate_order(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    explicit = tmp_path / "mine.pth"
    explicit.write_bytes(b"x")
    from_env = tmp_path / "env.pth"
    from_env.write_bytes(b"x")
    env = {ENV_VAR: str(from_env)}

    reason = unavailable_reason(models_dir=models, environ={})
    assert reason == f"no Wav2Lip checkpoint: put wav2lip_gan.pth (or wav2lip.pth) in {models}/ or set {ENV_VAR}"
    for name in ("wav2lip.pth", "wav2lip_gan.pth", "wav2lip_old.pth"):
        (models / name).write_bytes(b"x")
    assert locate(models_dir=models, environ={}) == models / "wav2lip_gan.pth"
    assert locate(models_dir=models, environ=env) == from_env
    assert locate(explicit, models_dir=models, environ=env) == explicit
    assert unavailable_reason(explicit, models_dir=models, environ=env) is None


def test_locate_uses_data_dir_from_environment(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "wav2lip.pth").write_bytes(b"x")
    assert locate(environ={"HEYGEM_DATA_DIR": str(tmp_path)}) == tmp_path / "models" / "wav2lip.pth"


def test_named_file_that_is_absent_is_not_replaced_by_another(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "wav2lip.pth").write_bytes(b"x")
    with pytest.raises(EngineUnavailable, match=rf"not found: .*typo\.pth \(given by {ENV_VAR}\)"):
        locate(models_dir=models, environ={ENV_VAR: str(tmp_path / "typo.pth")})
    assert "given by --checkpoint" in unavailable_reason(tmp_path / "nope.pth", models_dir=models, environ={})
