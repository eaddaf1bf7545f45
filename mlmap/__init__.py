"""mlmap: helpers for fine-tuning BERT-like models to screen and code abstracts for systematic maps.

The book teaches each step with plain Hugging Face code first; these helpers wrap those steps. One
module per job:

- ``paths``: where data, caches and results live;       ``hardware``: bf16 support
- ``data``: fetching, checking and shaping the labels;    ``labels``: binary or multilabel, decided once
- ``models``: choosing and loading the pretrained model;  ``tokenizing``: texts to a Dataset
- ``heads``: the classification head on [CLS] or on the mean of the token vectors
- ``trainer``: ``CustomTrainer`` (the loss);              ``predicting``: probabilities, batched
- ``metrics``: scores and ``pos_weight``;                 ``caching``: fine-tuned models on disk
- ``fingerprints``: what made a cached or resumable result, compared before it is reused
- ``training``: ``fine_tune`` and its arguments;          ``recipe``: the training recipe, the book's split and settings
- ``learning``: did a fine-tuned model learn (each label against the best constant)
- ``calibration``: Platt scaling per label on held-out documents, written into a model's head
- ``folds``: stratified fold assignments;                 ``baselines``: TF-IDF and frozen embeddings
- ``targets``: the map's three targets;                   ``cv``: nested cross-validation (``python -m mlmap cv``)
- ``search_space``: the configurations chosen among;      ``trials``: one candidate trained, its epochs' probabilities
- ``selection``: choosing inside an outer training set;   ``cv_results``: a cv run's files, scores and record
- ``development``: the documents the recipe was chosen on, left out of a clean run (``cv --without-development``)
- ``runs``: provenance every run records (its files, command, commit, machine; cv, simulate, train, the map)
- ``io``: documents on disk, a module per format (CSV, Parquet, Feather, RIS, OpenAlex), readers and writers
- ``screening``: prioritised screening, one module a part: ``metrics`` (WSS, RRF), ``features``, ``balancers``,
  ``classifiers``, ``queries``, ``designs`` (the loops' settings), ``loop`` (a fixed-feature ranker and its
  simulation), ``simulation`` (the loop with a model retrained), ``variants`` and ``simulation_runs`` (the
  committed simulations, ``python -m mlmap simulate``), ``stopping`` (when a reviewer may stop),
  ``screen_search`` (your own search, ``python -m mlmap screen``, with ``screen_settings``, ``screen_labels``
  and ``verdict``); ``simulation``, ``simulation_runs``, ``stopping`` and ``screen_search`` are also
  ``mlmap.<name>``
- ``saved_models``: a model folder and its thresholds;    ``final_models``: trained on all labels (``python -m mlmap train``)
- ``labelled_files``: your own labelled file as training data
- ``corpus``: predicting a corpus file (``python -m mlmap predict``), ``corpus_chunks`` its chunks on disk;
  ``evidence_map``: map counts, the demo corpus
- ``quantify``: counts with intervals (CC, PCC, ACC, PACC, EMQ);  ``held_out``: a model folder's held-out predictions
- ``map_counts``: the map's labels, cross-fitted counts, the prior-shift test (``coverage_runs``: its committed run)
- ``learning_curves``: learning curves and their fit (``learning_curve_runs``: ``python -m mlmap learning-curve``)
- ``engines``: the inference engines' names;              ``openvino_engine``: prediction on OpenVINO (``predict --engine``)
- ``ray_predict``: prediction on a Ray cluster (``predict --ray``)
- ``cli``: the command line, one module per command (``python -m mlmap``)
- ``progress``: when to show a progress bar

Every public name is imported on first use (PEP 562), so ``import mlmap`` itself loads no torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from typing import Any

# tqdm.auto says once that notebook progress bars need ipywidgets, which the book does not install (its bars
# fall back to text); with names imported on first use, that line would land in whichever cell first needs tqdm
warnings.filterwarnings("ignore", message="IProgress not found")

#: Each public name and the module under ``mlmap`` that defines it. Nothing is imported until a name is
#: first used (PEP 562), so ``import mlmap`` and ``python -m mlmap --help`` load no torch, transformers or
#: scikit-learn; ``from mlmap import fine_tune`` imports the training stack then.
_PUBLIC: dict[str, str] = {
    "QuantificationError": "quantify",
    "count_intervals": "quantify",
    "count_labels": "quantify",
    "prevalence_replicates": "quantify",
    "read_held_out": "held_out",
    "learning_curve": "learning_curves",
    "fit_power_law": "learning_curves",
    "predict_with_interval": "learning_curves",
    "BERT_MAX_LENGTH": "tokenizing",
    "BOOK_SETTINGS": "recipe",
    "DEFAULT_CACHE_DIR": "paths",
    "DEFAULT_DATA_SOURCE": "data",
    "DEFAULT_SCREEN_BATCH": "screening.screen_settings",
    "DEFAULT_SCREEN_RANKER": "screening.screen_settings",
    "FingerprintMismatch": "fingerprints",
    "LABELS_SHA256": "data",
    "LOOP_SETTINGS": "screening.designs",
    "MULTILABEL_PROBLEM": "labels",
    "PAD_MULTIPLE": "predicting",
    "POOLINGS": "heads",
    "RECIPE": "recipe",
    "RESULTS_DIR": "paths",
    "SEED": "recipe",
    "SINGLE_LABEL_PROBLEM": "labels",
    "CustomTrainer": "trainer",
    "DataError": "data",
    "DidNotLearnError": "learning",
    "DocumentsError": "io",
    "FineTuneSettings": "recipe",
    "FineTunedRanker": "screening.simulation",
    "LearningCheck": "learning",
    "LoopSettings": "screening.designs",
    "ModelFolderError": "saved_models",
    "ModelNotFoundError": "models",
    "OpenVINOClassifier": "openvino_engine",
    "PlattScaling": "calibration",
    "PredictionSummary": "corpus",
    "SavedClassifier": "saved_models",
    "ScreenSettings": "screening.screen_settings",
    "ScreeningResult": "screening.screen_search",
    "SearchSpace": "search_space",
    "StoppingVerdict": "screening.verdict",
    "TrainingRecipe": "recipe",
    "assign_folds": "folds",
    "best_f1_threshold": "metrics",
    "best_thresholds": "metrics",
    "bf16_supported": "hardware",
    "bootstrap_recall_interval": "screening.metrics",
    "bundled_model_path": "models",
    "calibrate_and_threshold": "calibration",
    "calibrate_head": "calibration",
    "check_fingerprint": "fingerprints",
    "check_learning": "learning",
    "compute_metrics": "metrics",
    "compute_pos_weight": "metrics",
    "consecutive_irrelevant_stop": "screening.stopping",
    "documents_for_recall": "screening.metrics",
    "f1_at_thresholds": "metrics",
    "fetch_data": "data",
    "find_text_columns": "io",
    "fit_platt": "calibration",
    "fine_tune": "training",
    "hf_tokenize_data": "tokenizing",
    "is_multilabel": "labels",
    "iter_documents": "io",
    "label_columns": "data",
    "load_classifier": "models",
    "load_labels": "data",
    "load_saved_classifier": "saved_models",
    "load_tokenizer": "tokenizing",
    "make_text": "data",
    "make_training_args": "training",
    "mean_pool": "heads",
    "model_cache_fingerprint": "training",
    "model_identity": "fingerprints",
    "openvino_classifier": "openvino_engine",
    "predict_file": "corpus",
    "predict_file_with_ray": "ray_predict",
    "predict_proba": "predicting",
    "prepare_targets": "data",
    "probabilities_from_logits": "predicting",
    "read_documents": "io",
    "recall_at": "screening.stopping",
    "recall_curve": "screening.metrics",
    "recall_threshold_with_confidence": "screening.metrics",
    "resolve_model": "models",
    "rrf": "screening.metrics",
    "run_cv": "cv",
    "run_simulations": "screening.simulation_runs",
    "save_classifier": "saved_models",
    "screen": "screening.screen_search",
    "screening_order": "screening.metrics",
    "screening_split": "recipe",
    "sentence_embeddings": "baselines",
    "simulate_screening": "screening.simulation",
    "h0_p_value": "screening.stopping",
    "stopping_p_values": "screening.stopping",
    "stopping_point": "screening.stopping",
    "stopping_verdict": "screening.verdict",
    "tfidf_features": "baselines",
    "tfidf_ranker": "screening.simulation",
    "threshold_for_recall": "screening.metrics",
    "train_final_model": "final_models",
    "train_target": "final_models",
    "use_bf16": "hardware",
    "write_documents": "io",
    "wss": "screening.metrics",
}
#: Modules of :mod:`mlmap.screening` that are also ``mlmap.<name>`` (the chapters import them so).
_MODULES = {name: f"screening.{name}" for name in ("simulation", "simulation_runs", "stopping", "screen_search")}

__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, and keep the name here."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    elif importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a module: mlmap.cv, mlmap.evidence_map, ...
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_MODULES))
