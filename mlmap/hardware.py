"""What the machine can do: bf16 matmuls."""

from __future__ import annotations

import torch


def bf16_supported() -> bool:
    """Whether this machine runs bf16 matmuls natively (a CUDA GPU, or a CPU with AVX512-BF16 or AMX)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def check_same_precision(saved: dict, what: str) -> None:
    """Refuse to continue a saved unit of work trained in another precision than this machine trains in.

    bf16 and fp32 training give different models, so a run continued on a machine of the other kind
    would not give the results of an uninterrupted one. Units saved before precision was recorded pass.
    """
    if "bf16" in saved and saved["bf16"] != bf16_supported():
        made, here = ("bf16", "fp32") if saved["bf16"] else ("fp32", "bf16")
        raise RuntimeError(f"{what} was trained in {made}, but this machine trains in {here} (bf16 needs a CPU with "
                           "AVX512-BF16 or AMX, or a GPU): continue it on a machine like the one that started it, "
                           "or start again in another folder (--out)")
