"""Run by test_distributed.py under torchrun: one process of a 2-process (gloo, CPU) fine_tune with a cache.

    torchrun --nproc_per_node 2 tests/distributed_fine_tune.py ENCODER CACHE_DIR OUT_DIR

Each process writes OUT_DIR/rank<R>.json: a digest of its final weights and whether it found the
model already in the cache.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import mlmap

WORDS = "carbon tax emissions trading building standard subsidy forest transport label policy energy".split()


def main() -> None:
    encoder, cache_dir, out_dir = sys.argv[1:4]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=4 + i % 7)) + (" tax" if i % 2 else "") for i in range(32)]
    train = pd.DataFrame({"text": texts, "labels": [i % 2 for i in range(32)]})
    cached_before = any(Path(cache_dir).glob("*/config.json"))
    # one epoch teaches the tiny model nothing: the learning check (tests/test_learning.py) is off here,
    # where what is tested is that two processes train one model and one of them caches it
    trainer = mlmap.fine_tune(train, model_name=encoder, cache_dir=cache_dir, num_train_epochs=1,
                              per_device_train_batch_size=4, learning_rate=1e-3, disable_tqdm=True, check=False)
    digest = hashlib.sha256()
    for name, tensor in sorted(trainer.model.state_dict().items()):
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    rank = int(os.environ["RANK"])
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps({
        "weights": digest.hexdigest(), "world_size": trainer.args.world_size, "cached_before": cached_before,
        "backend": torch.distributed.get_backend() if torch.distributed.is_initialized() else None}))


if __name__ == "__main__":
    main()
