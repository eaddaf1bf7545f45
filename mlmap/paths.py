"""Where the project keeps its data, caches and results (all relative to the project root)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_PATH = PROJECT_ROOT / "data" / "labels.feather"
#: Fine-tuned models saved by ``fine_tune(cache_dir=...)``, keyed by their settings.
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "models"
#: The ``Trainer``'s output folder (nothing is checkpointed there by default).
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / ".cache" / "trainer"
#: Committed results of the long runs (cross-validation), which the book reads.
RESULTS_DIR = PROJECT_ROOT / "results"
