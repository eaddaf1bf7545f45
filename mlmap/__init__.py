"""mlmap: helpers for fine-tuning BERT-like models to screen and code abstracts for systematic maps.

The book teaches each step with plain Hugging Face code first; these helpers wrap those steps.
"""

from .data import (
    DEFAULT_DATA_SOURCE,
    LABELS_SHA256,
    DataError,
    fetch_data,
    label_columns,
    load_labels,
    make_text,
    prepare_targets,
)
from .models import ModelNotFoundError, bundled_model_path, load_classifier, resolve_model
from .tokenizing import hf_tokenize_data, load_tokenizer
from .training import (
    DEFAULT_CACHE_DIR,
    CustomTrainer,
    bf16_supported,
    compute_metrics,
    compute_pos_weight,
    fine_tune,
    make_training_args,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_DATA_SOURCE",
    "LABELS_SHA256",
    "CustomTrainer",
    "DataError",
    "ModelNotFoundError",
    "bf16_supported",
    "bundled_model_path",
    "compute_metrics",
    "compute_pos_weight",
    "fetch_data",
    "fine_tune",
    "hf_tokenize_data",
    "label_columns",
    "load_classifier",
    "load_labels",
    "load_tokenizer",
    "make_text",
    "make_training_args",
    "prepare_targets",
    "resolve_model",
]
