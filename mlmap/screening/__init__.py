"""Prioritised screening in named parts, as ASReview builds its models.

- ``metrics``: WSS, RRF, recall curves and thresholds (what ``mlmap.screening`` held before)
- ``features``: TF-IDF, frozen sentence embeddings (cached by content), both stacked
- ``balancers``: ASReview's ``Balanced`` sample weights
- ``classifiers``: linear SVM and logistic regression that take those weights and score for ranking
- ``queries``: the maximum query, ties broken deterministically
- ``designs``: the loops' settings (``LoopSettings``, ``RankerSettings``) and the frozen designs, light to import
- ``loop``: a ranker (features + classifier + balancer) and the simulation that retrains every ``step`` labels
- ``simulation``: the loop with a model retrained from scratch in growing batches (the fine-tuned one, TF-IDF + LR)
- ``simulation_runs``: the committed simulations on the book's variants (``python -m mlmap simulate``)
- ``stopping``: the stopping rule of Callaghan & Müller-Hansen (2020) and a heuristic
- ``screen_search``: one round on your own search (``python -m mlmap screen``), from ``screen_settings`` (its
  ranker and rule), ``screen_labels`` (labels read, ordered and checked) and ``verdict`` (the rule's, in words)

Only the metrics are imported here, so ``from mlmap.screening import wss`` stays light; the other
parts are imported from their modules.
"""

from .metrics import (
    bootstrap_recall_interval,
    documents_for_recall,
    recall_curve,
    recall_threshold_with_confidence,
    rrf,
    screening_order,
    threshold_for_recall,
    wss,
)

__all__ = [
    "bootstrap_recall_interval",
    "documents_for_recall",
    "recall_curve",
    "recall_threshold_with_confidence",
    "rrf",
    "screening_order",
    "threshold_for_recall",
    "wss",
]
