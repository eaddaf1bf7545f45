"""What the machine can do (bf16 matmuls) and which precision mlmap trains and predicts in."""

from __future__ import annotations

import os

import torch

PRECISION_VARIABLE = "MLMAP_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16")


def bf16_supported() -> bool:
    """Whether this machine runs bf16 matmuls natively (a CUDA GPU, or a CPU with AVX512-BF16 or AMX)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def use_bf16() -> bool:
    """Whether mlmap trains and predicts in bf16: ``MLMAP_PRECISION`` (``auto``, ``fp32`` or ``bf16``) decides.

    ``auto`` (the default) uses bf16 where the machine has bf16 units. ``fp32`` is what every machine can
    run, so a run started in fp32 can be continued or checked on any machine with ``MLMAP_PRECISION=fp32``.
    """
    setting = os.environ.get(PRECISION_VARIABLE, "auto").strip().lower() or "auto"
    if setting not in PRECISIONS:
        raise ValueError(f"{PRECISION_VARIABLE}={setting!r} is not a precision: use one of {', '.join(PRECISIONS)}")
    if setting == "bf16" and not bf16_supported():
        raise RuntimeError(f"{PRECISION_VARIABLE}=bf16, but this machine has no bf16 units (a CPU with AVX512-BF16 "
                           "or AMX, or a GPU): emulated bf16 would be slow and still differ from a native run. "
                           f"Continue bf16 work on such a machine, or unset {PRECISION_VARIABLE}")
    return setting == "bf16" or (setting == "auto" and bf16_supported())


def precision_name() -> str:
    """``"bf16"`` or ``"fp32"``: the precision mlmap trains and predicts in here (:func:`use_bf16`)."""
    return "bf16" if use_bf16() else "fp32"


def check_same_precision(saved: dict, what: str) -> None:
    """Refuse to continue a saved unit of work trained in another precision than this run trains in.

    bf16 and fp32 training give different models, so a run continued in the other precision would not
    give the results of an uninterrupted one. Units saved before precision was recorded pass.
    """
    if "bf16" in saved and saved["bf16"] != use_bf16():
        made, here = ("bf16", "fp32") if saved["bf16"] else ("fp32", "bf16")
        fix = (f"set {PRECISION_VARIABLE}=fp32 to continue it here" if made == "fp32" else
               "continue it on a machine with bf16 units (a CPU with AVX512-BF16 or AMX, or a GPU)")
        raise RuntimeError(f"{what} was trained in {made}, but this run trains in {here}: {fix}, "
                           "or start again in another folder (--out)")
