"""What the machine can do: bf16 matmuls."""

from __future__ import annotations

import torch


def bf16_supported() -> bool:
    """Whether this machine runs bf16 matmuls natively (a CUDA GPU, or a CPU with AVX512-BF16 or AMX)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
