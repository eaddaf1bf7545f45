"""The precision mlmap trains in: MLMAP_PRECISION over what the machine can do."""

import pytest

import mlmap
import mlmap.hardware as hardware


@pytest.mark.parametrize("units", [True, False])
def test_auto_follows_the_machine_and_fp32_overrides_it(monkeypatch, units):
    monkeypatch.setattr(hardware, "bf16_supported", lambda: units)
    monkeypatch.delenv("MLMAP_PRECISION", raising=False)
    assert mlmap.use_bf16() is units
    monkeypatch.setenv("MLMAP_PRECISION", "auto")
    assert mlmap.use_bf16() is units
    monkeypatch.setenv("MLMAP_PRECISION", "FP32")
    assert mlmap.use_bf16() is False
    assert mlmap.make_training_args(num_train_epochs=1).bf16 is False


def test_bf16_is_refused_where_the_machine_has_no_bf16_units(monkeypatch):
    monkeypatch.setenv("MLMAP_PRECISION", "bf16")
    monkeypatch.setattr(hardware, "bf16_supported", lambda: True)
    assert mlmap.use_bf16() is True
    monkeypatch.setattr(hardware, "bf16_supported", lambda: False)
    with pytest.raises(RuntimeError, match="no bf16 units"):
        mlmap.use_bf16()


def test_an_unknown_precision_says_which_ones_exist(monkeypatch):
    monkeypatch.setenv("MLMAP_PRECISION", "fp16")
    with pytest.raises(ValueError, match="'fp16' is not a precision: use one of auto, fp32, bf16"):
        mlmap.use_bf16()


def test_saved_work_continues_only_in_its_own_precision(monkeypatch):
    monkeypatch.setattr(hardware, "bf16_supported", lambda: True)
    monkeypatch.delenv("MLMAP_PRECISION", raising=False)
    with pytest.raises(RuntimeError, match="unit.json was trained in fp32, but this run trains in bf16: set "
                                           "MLMAP_PRECISION=fp32 to continue it here"):
        hardware.check_same_precision({"bf16": False}, "unit.json")
    hardware.check_same_precision({"bf16": True}, "unit.json")
    hardware.check_same_precision({}, "unit.json")  # saved before precision was recorded
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    hardware.check_same_precision({"bf16": False}, "unit.json")
    with pytest.raises(RuntimeError, match="trained in bf16, but this run trains in fp32: continue it on a machine "
                                           "with bf16 units"):
        hardware.check_same_precision({"bf16": True}, "unit.json")
