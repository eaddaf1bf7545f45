"""mlmap: helpers for fine-tuning BERT-like models to screen and code abstracts for systematic maps.

The book teaches each step with plain Hugging Face code first; these helpers wrap those steps. One
module per job:

- ``paths``: where data, caches and results live;       ``hardware``: bf16 support
- ``data``: fetching, checking and shaping the labels;    ``labels``: binary or multilabel, decided once
- ``models``: choosing and loading the pretrained model;  ``tokenizing``: texts to a Dataset
- ``heads``: the classification head on [CLS] or on the mean of the token vectors
- ``trainer``: ``CustomTrainer`` (the loss);              ``predicting``: probabilities, batched
- ``metrics``: scores and ``pos_weight``;                 ``caching``: fine-tuned models on disk
- ``training``: ``fine_tune`` and its arguments;          ``recipe``: the training recipe, the book's split and settings
- ``learning``: did a fine-tuned model learn (each label against the best constant)
- ``calibration``: Platt scaling per label on held-out documents, written into a model's head
- ``folds``: stratified fold assignments;                 ``baselines``: TF-IDF and frozen embeddings
- ``targets``: the map's three targets;                   ``cv``: nested cross-validation (``python -m mlmap cv``)
- ``cv_results``: a run's files, scores and record;       ``documents``: CSV, Parquet, Feather, RIS, OpenAlex files
- ``screening``: prioritised screening, one module a part: ``metrics`` (WSS, RRF), ``features``, ``balancers``,
  ``classifiers``, ``queries``, ``loop`` (a fixed-feature ranker and its simulation), ``simulation`` (the loop with
  a model retrained), ``simulation_runs`` (the committed simulations, ``python -m mlmap simulate``), ``stopping``
  (when a reviewer may stop), ``screen_search`` (your own search, ``python -m mlmap screen``); the last four are
  also ``mlmap.simulation``, ``mlmap.simulation_runs``, ``mlmap.stopping`` and ``mlmap.screen_search``
- ``saved_models``: a model folder and its thresholds;    ``final_models``: trained on all labels (``python -m mlmap train``)
- ``corpus``: predicting a corpus file (``python -m mlmap predict``); ``evidence_map``: map counts, the demo corpus
- ``openvino_engine``: prediction on OpenVINO (``predict --engine``); ``ray_predict``: on a Ray cluster (``predict --ray``)
- ``progress``: when to show a progress bar
"""

from .baselines import sentence_embeddings, tfidf_features
from .calibration import PlattScaling, calibrate_and_threshold, calibrate_head, fit_platt
from .corpus import PredictionSummary, predict_file
from .cv import SearchSpace, run_cv
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
from .documents import DocumentsError, find_text_columns, iter_documents, read_documents, write_documents
from .final_models import train_final_model, train_target
from .fingerprints import FingerprintMismatch, check_fingerprint, model_identity
from .folds import assign_folds
from .hardware import bf16_supported, use_bf16
from .labels import MULTILABEL_PROBLEM, SINGLE_LABEL_PROBLEM, is_multilabel
from .metrics import (
    best_f1_threshold,
    best_thresholds,
    compute_metrics,
    compute_pos_weight,
    f1_at_thresholds,
)
from .heads import POOLINGS, mean_pool
from .models import (
    ModelNotFoundError,
    bundled_model_path,
    load_classifier,
    resolve_model,
)
from .openvino_engine import OpenVINOClassifier, openvino_classifier
from .paths import DEFAULT_CACHE_DIR, RESULTS_DIR
from .predicting import PAD_MULTIPLE, predict_proba, probabilities_from_logits
from .ray_predict import predict_file_with_ray
from .learning import DidNotLearnError, LearningCheck, check_learning
from .recipe import BOOK_SETTINGS, RECIPE, SEED, FineTuneSettings, TrainingRecipe, screening_split
from .saved_models import ModelFolderError, SavedClassifier, load_saved_classifier, save_classifier
from .screening.screen_search import (
    DEFAULT_SCREEN_BATCH,
    DEFAULT_SCREEN_RANKER,
    ScreeningResult,
    ScreenSettings,
    StoppingVerdict,
    screen,
    stopping_verdict,
)
from .screening import (  # the four modules too: chapters import them as mlmap.simulation, ...
    bootstrap_recall_interval,
    documents_for_recall,
    recall_curve,
    recall_threshold_with_confidence,
    rrf,
    screen_search,
    screening_order,
    simulation,
    simulation_runs,
    stopping,
    threshold_for_recall,
    wss,
)
from .screening.simulation import LOOP_SETTINGS, FineTunedRanker, LoopSettings, simulate_screening, tfidf_ranker
from .screening.simulation_runs import run_simulations
from .screening.stopping import consecutive_irrelevant_stop, recall_at, stopping_p_values, stopping_point
from .tokenizing import BERT_MAX_LENGTH, hf_tokenize_data, load_tokenizer
from .trainer import CustomTrainer
from .training import fine_tune, make_training_args, model_cache_fingerprint

__all__ = [
    "BERT_MAX_LENGTH",
    "BOOK_SETTINGS",
    "DEFAULT_CACHE_DIR",
    "DEFAULT_DATA_SOURCE",
    "DEFAULT_SCREEN_BATCH",
    "DEFAULT_SCREEN_RANKER",
    "FingerprintMismatch",
    "LABELS_SHA256",
    "LOOP_SETTINGS",
    "MULTILABEL_PROBLEM",
    "PAD_MULTIPLE",
    "POOLINGS",
    "RECIPE",
    "RESULTS_DIR",
    "SEED",
    "SINGLE_LABEL_PROBLEM",
    "CustomTrainer",
    "DataError",
    "DidNotLearnError",
    "DocumentsError",
    "FineTuneSettings",
    "FineTunedRanker",
    "LearningCheck",
    "LoopSettings",
    "ModelFolderError",
    "ModelNotFoundError",
    "OpenVINOClassifier",
    "PlattScaling",
    "PredictionSummary",
    "SavedClassifier",
    "ScreenSettings",
    "ScreeningResult",
    "SearchSpace",
    "StoppingVerdict",
    "TrainingRecipe",
    "assign_folds",
    "best_f1_threshold",
    "best_thresholds",
    "bf16_supported",
    "bootstrap_recall_interval",
    "bundled_model_path",
    "calibrate_and_threshold",
    "calibrate_head",
    "check_fingerprint",
    "check_learning",
    "compute_metrics",
    "compute_pos_weight",
    "consecutive_irrelevant_stop",
    "documents_for_recall",
    "f1_at_thresholds",
    "fetch_data",
    "find_text_columns",
    "fit_platt",
    "fine_tune",
    "hf_tokenize_data",
    "is_multilabel",
    "iter_documents",
    "label_columns",
    "load_classifier",
    "load_labels",
    "load_saved_classifier",
    "load_tokenizer",
    "make_text",
    "make_training_args",
    "mean_pool",
    "model_cache_fingerprint",
    "model_identity",
    "openvino_classifier",
    "predict_file",
    "predict_file_with_ray",
    "predict_proba",
    "prepare_targets",
    "probabilities_from_logits",
    "read_documents",
    "recall_at",
    "recall_curve",
    "recall_threshold_with_confidence",
    "resolve_model",
    "rrf",
    "run_cv",
    "run_simulations",
    "save_classifier",
    "screen",
    "screening_order",
    "screening_split",
    "sentence_embeddings",
    "simulate_screening",
    "stopping_p_values",
    "stopping_point",
    "stopping_verdict",
    "tfidf_features",
    "tfidf_ranker",
    "threshold_for_recall",
    "train_final_model",
    "train_target",
    "use_bf16",
    "write_documents",
    "wss",
]
