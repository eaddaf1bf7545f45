"""fine_tune on 2 processes (torchrun, gloo on the CPU): the path to multi-GPU and multi-node training needs no code of ours."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(encoder: str, cache_dir: Path, out_dir: Path) -> list[dict]:
    out_dir.mkdir()
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(_free_port()), str(HERE / "distributed_fine_tune.py"), encoder, str(cache_dir),
               str(out_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(2)]


def test_two_processes_train_one_model_and_one_writes_the_cache(tmp_path, tiny_encoder_dir):
    cache = tmp_path / "cache"
    ranks = _launch(tiny_encoder_dir, cache, tmp_path / "first")
    assert [r["world_size"] for r in ranks] == [2, 2] and {r["backend"] for r in ranks} == {"gloo"}
    assert ranks[0]["weights"] == ranks[1]["weights"]  # DDP kept the two processes' models equal
    entries = [p for p in cache.iterdir()]
    assert len(entries) == 1 and (entries[0] / "config.json").is_file()  # one model, no half-written copy
    assert not any(r["cached_before"] for r in ranks)

    again = _launch(tiny_encoder_dir, cache, tmp_path / "second")  # both load what the first process wrote
    assert all(r["cached_before"] for r in again) and {r["weights"] for r in again} == {ranks[0]["weights"]}
