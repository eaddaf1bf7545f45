"""How far bf16 prediction moves a fine-tuned model's probabilities from fp32 (the speed chapter's numbers).

    MLMAP_PRECISION=fp32 .venv/bin/python benchmarks/precision_agreement.py

Takes the book's screening model (``mlmap.BOOK_SETTINGS`` on the binary chapter's 600 training
documents: from the cache, else trained in the precision ``MLMAP_PRECISION`` sets), predicts the 300
held-out documents with fp32 and with bf16 weights (torch emulates bf16 where the CPU has no units),
and prints one JSON object: the absolute differences (median, 95th percentile, largest) and how many
decisions at 0.5 differ; also that the trainer's own path gives the fp32 path's probabilities
exactly when ``MLMAP_PRECISION=fp32``.
"""

from __future__ import annotations

import json

import numpy as np


def main() -> None:
    import mlmap

    df = mlmap.prepare_targets(mlmap.load_labels(), "INCLUDE")
    train_df, test_df = mlmap.screening_split(df, test_size=300, train_size=600, seed=mlmap.SEED)
    trainer = mlmap.fine_tune(train_df, **mlmap.BOOK_SETTINGS.as_kwargs(), cache_dir=mlmap.DEFAULT_CACHE_DIR)
    tokenizer = trainer.processing_class
    held_out = mlmap.hf_tokenize_data(test_df[["text"]], tokenizer, max_length=mlmap.BOOK_SETTINGS.max_length)
    fp32 = mlmap.predict_proba(trainer.model, held_out, tokenizer, bf16=False, progress=False)
    bf16 = mlmap.predict_proba(trainer.model, held_out, tokenizer, bf16=True, progress=False)
    default_path = trainer.predict_proba(test_df, progress=False)  # follows MLMAP_PRECISION
    difference = np.abs(fp32 - bf16).ravel()
    print(json.dumps({
        "documents": len(difference),
        "median": float(np.median(difference)),
        "p95": float(np.percentile(difference, 95)),
        "max": float(difference.max()),
        "decisions_differing_at_0.5": int(((fp32 >= 0.5) != (bf16 >= 0.5)).sum()),
        "precision_in_use": "bf16" if mlmap.use_bf16() else "fp32",
        "trainer_path_vs_fp32_max": float(np.abs(default_path - fp32).max()),
    }, indent=1))


if __name__ == "__main__":
    main()
