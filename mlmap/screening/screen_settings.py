"""The settings of a screening round (``python -m mlmap screen``): its ranker, the ranker's training, the stopping rule.

Light to import (no numpy): ``screen --help`` lists the rankers and their defaults from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .designs import DEFAULT_RANKER, LOOP_SETTINGS, LoopSettings, RankerSettings

#: The rankers ``screen`` offers: fixed-feature designs of :mod:`mlmap.screening.loop` by name, and
#: ``fine_tuned`` (the pretrained model fine-tuned every round, :class:`~mlmap.FineTunedRanker`).
SCREEN_RANKERS: dict[str, RankerSettings | None] = {
    "minilm_tfidf_svm": DEFAULT_RANKER,
    "tfidf_svm": DEFAULT_RANKER.with_(features="tfidf"),
    "fine_tuned": None,
}
#: The ranker ``screen`` uses unless told otherwise: of those offered here, the one that saved the most work in the simulations.
DEFAULT_SCREEN_RANKER = "minilm_tfidf_svm"
#: Documents in the next batch unless told otherwise. On the development seed sets (full, 5% relevant),
#: retraining the default ranker after every document gave WSS@95 0.340 and 0.455; every 10: 0.336, 0.464;
#: every 25: 0.333 and 0.457, within the seed sets' spread; every 50: 0.334, 0.440; every 100: 0.331, 0.422
#: (results/screening/exploration.md, rows 38 and 42-45). 25 keeps a round's reading worth a rerun of the command.
DEFAULT_SCREEN_BATCH = 25


@dataclass(frozen=True)
class ScreenSettings:
    """The ranker of a screening round, its settings, and the stopping rule's.

    ``ranker`` names one of :data:`SCREEN_RANKERS`. A fixed-feature ranker (the default,
    ``minilm_tfidf_svm``) embeds every document once with the pretrained encoder (its first
    ``max_length`` tokens; cached by content) and fits a linear SVM on the screened documents, all
    of them, weighted so that the irrelevant ones together count about a tenth of the relevant
    ones. ``fine_tuned`` trains as the simulated fine-tuned loop did (:data:`mlmap.LOOP_SETTINGS`):
    from the pretrained model every round, on a class-balanced sample of the screened documents
    drawn afresh: every relevant one (up to a quarter of ``max_train``) and up to
    ``irrelevant_per_relevant`` irrelevant ones per relevant one (at most ``max_train`` in all), for
    ``epochs`` epochs or more when that gives fewer than ``min_steps`` steps, on the first
    ``max_length`` tokens; the other settings are its alone. The stopping rule asks for
    ``recall_target`` with ``confidence``.
    """

    ranker: str = DEFAULT_SCREEN_RANKER
    learning_rate: float = LOOP_SETTINGS.learning_rate
    epochs: int = LOOP_SETTINGS.epochs
    min_steps: int = LOOP_SETTINGS.min_steps
    max_length: int = LOOP_SETTINGS.max_length
    batch_size: int = LOOP_SETTINGS.batch_size
    irrelevant_per_relevant: float = LOOP_SETTINGS.irrelevant_per_relevant
    max_train: int = LOOP_SETTINGS.max_train
    recall_target: float = 0.95
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.ranker not in SCREEN_RANKERS:
            raise ValueError(f"unknown ranker {self.ranker!r}: choose {', '.join(SCREEN_RANKERS)}")

    @property
    def fine_tuned(self) -> bool:
        """Whether the ranker fine-tunes the pretrained model every round."""
        return SCREEN_RANKERS[self.ranker] is None

    @property
    def score_column(self) -> str:
        """The ranking's score column: ``p_relevant`` (a probability) or ``svm_score`` (a distance: higher, read sooner)."""
        return "p_relevant" if self.fine_tuned else "svm_score"

    def loop_settings(self) -> LoopSettings:
        """The training part of ``fine_tuned``, as the simulation's :class:`~mlmap.LoopSettings`."""
        names = {f.name for f in fields(LoopSettings)}
        return replace(LOOP_SETTINGS, **{k: v for k, v in asdict(self).items() if k in names})

    def ranker_settings(self) -> RankerSettings:
        """The design of a fixed-feature ranker, with this ``max_length`` for its embeddings."""
        design = SCREEN_RANKERS[self.ranker]
        if design is None:
            raise ValueError(f"the ranker {self.ranker!r} fine-tunes: it has no fixed-feature design")
        return design.with_(max_length=self.max_length)

    def describe(self) -> str:
        """What the ranker is, in a few words (for a report)."""
        if self.fine_tuned:
            s = self.loop_settings()
            return (f"fine_tuned: the pretrained model fine-tuned afresh every round (learning rate {s.learning_rate:g}, "
                    f"{s.epochs} epochs or at least {s.min_steps} steps, {s.max_length} tokens) on a class-balanced sample")
        d = self.ranker_settings()
        features = {"tfidf": "TF-IDF", "embeddings": "frozen embeddings",
                    "both": f"TF-IDF and frozen embeddings (weight {d.embedding_weight:g}, {d.max_length} tokens)"}
        balance = "not balanced" if d.balance_ratio is None else f"balanced (ratio {d.balance_ratio:g})"
        loss = {"hinge": "hinge loss", "squared_hinge": "squared hinge loss"}[d.loss]
        return (f"{self.ranker}: {features[d.features]}, a linear SVM ({loss}, C {d.c:g}) fitted on every screened "
                f"document, {balance}")
