"""The configurations the cross-validation (and ``train``) chooses among: :class:`SearchSpace`, and the frozen ones."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .recipe import CV_MAX_LENGTH, RECIPE, TrainingRecipe
from .tokenizing import BERT_MAX_LENGTH


@dataclass(frozen=True)
class SearchSpace:
    """The configurations tried inside each outer training set.

    Each learning rate is one training run with ``recipe`` (warm-up, linear decay, ``pos_weight``,
    calibration) of ``max_epochs`` epochs, or, when that is None, of as many epochs as the recipe's
    ``min_steps`` needs on the training documents; the model after every epoch is a candidate.
    ``train`` trains the same schedule and saves the chosen epoch's weights. ``poolings``, when
    given, makes the classification head a choice too: one training run per head and learning rate.
    """

    learning_rates: tuple[float, ...]
    max_epochs: int | None = None
    max_length: int = BERT_MAX_LENGTH
    batch_size: int = 16
    logistic_c: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    recipe: TrainingRecipe = RECIPE
    poolings: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """The space as run records and fingerprints hold it; ``poolings`` only when the head is searched, so
        records made before it existed still describe the same space."""
        record = asdict(self)
        if not self.poolings:
            del record["poolings"]
        return record

    def recipes(self) -> list[TrainingRecipe]:
        """The recipes trained: the recipe with each of ``poolings``, or the recipe alone."""
        return [replace(self.recipe, pooling=p) for p in self.poolings] or [self.recipe]

    def epochs(self, n_train: int) -> int:
        """Epochs of a training run on ``n_train`` documents: ``max_epochs``, or what ``min_steps`` needs."""
        return self.max_epochs or self.recipe.epochs_for(n_train, self.batch_size)


#: Frozen before the third run (and kept for the fourth, whose only change is the recipe's mean-pooled
#: head), from the exploration in ``results/cv/exploration.md`` (inner split of
#: outer fold 0 only): :data:`~mlmap.RECIPE` (learning rate 5e-5, 10% warm-up, at least 300 steps,
#: ``pos_weight`` then calibration) for every target, the model after every epoch as a candidate,
#: 256 tokens (512 would double the run beyond its 3-hour budget on 2 cores).
SEARCH_SPACES = {target: SearchSpace(learning_rates=(RECIPE.learning_rate,), max_length=CV_MAX_LENGTH)
                 for target in ("include", "instruments", "sectors")}

#: Every choice the exploration made on outer fold 0 (``results/cv/exploration.md``), made again inside
#: each outer training set instead: the head ([CLS] or mean-pooled) and the learning rate (the book's
#: 5e-5 and the code models' first 2e-4), with the recipe's warm-up and step count. ``python -m mlmap cv
#: --spaces nested`` runs it (into ``results/cv-nested``): no reported fold tests on a document any of
#: its choices read.
NESTED_SEARCH_SPACES = {target: replace(space, learning_rates=(RECIPE.learning_rate, 2e-4), poolings=("mean", "cls"))
                        for target, space in SEARCH_SPACES.items()}
