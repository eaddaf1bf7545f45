"""The stopping rule's verdict on the labels screened so far (Callaghan & Müller-Hansen 2020), in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The widest line of a printed verdict: the book's code box.
VERDICT_WIDTH = 78
#: The lowest recall the verdict's recall frontier tries.
_LOWEST_RECALL = 0.005


@dataclass
class StoppingVerdict:
    """The stopping rule on the labels screened so far, in screening order."""

    screened: int
    total: int
    relevant_found: int
    p_value: float
    may_stop: bool
    recall_target: float
    confidence: float
    #: the highest recall reached with ``confidence``, in steps of 0.5% (None: not even 0.5%)
    recall_at_least: float | None
    #: relevant documents that can still be unscreened, at ``confidence`` (from ``recall_at_least``)
    relevant_left_at_most: int | None
    #: irrelevant documents screened since the last relevant one
    since_last_relevant: int

    def lines(self) -> list[str]:
        """The verdict as short sentences, one a line, each at most :data:`VERDICT_WIDTH` characters; the first
        says whether you may stop."""
        target, confidence = _percent(self.recall_target), _percent(self.confidence)
        unscreened = self.total - self.screened
        if unscreened == 0:
            decision = "You may stop: every document is screened."
        elif self.may_stop:
            decision = f"You may stop: recall is at least {target}, with {confidence} confidence."
        else:
            decision = f"Keep screening: recall {target} is not shown, at {confidence} confidence."
        found = {0: "none is", 1: "1 is"}.get(self.relevant_found, f"{self.relevant_found:,} are")
        lines = [decision, f"{self.screened:,} of {self.total:,} documents are screened; {found} relevant."]
        if self.relevant_found and self.since_last_relevant == 0:
            lines.append("The last document screened was relevant.")
        elif self.relevant_found:
            since = "1 was" if self.since_last_relevant == 1 else f"{self.since_last_relevant:,} were"
            lines.append(f"{since} screened since the last relevant one.")
        if unscreened == 0:
            return lines
        lines.append(f"The p-value of 'recall {target} not yet reached' is {self.p_value:.3g}.")
        if self.recall_at_least is None:
            lines.append(f"With {confidence} confidence, recall is not shown to be even {_percent(_LOWEST_RECALL)}.")
        else:
            left = self.relevant_left_at_most
            lines += [f"With {confidence} confidence, recall is at least {self.recall_at_least:.1%}.",
                      f"So none of the {unscreened:,} unscreened documents is relevant." if left == 0 else
                      f"So at most {left:,} of the {unscreened:,} unscreened documents {'is' if left == 1 else 'are'} "
                      "relevant."]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _percent(share: float) -> str:
    """95% for 0.95, 97.5% for 0.975."""
    return f"{share:.1%}".replace(".0%", "%")


def stopping_verdict(labels_in_order: np.ndarray, total: int, recall_target: float = 0.95,
                     confidence: float = 0.95) -> StoppingVerdict:
    """The stopping rule (``buscarpy``) on 0/1 labels in the order they were screened, out of ``total`` documents."""
    from .stopping import h0_p_value  # buscarpy (scipy) only when a verdict is asked for

    labels = np.asarray(labels_in_order).astype(np.int64)
    found = int(labels.sum())
    p = h0_p_value(labels, total, recall_target)
    # the recall frontier: the highest target whose null hypothesis the labels reject
    at_least = next((t / 1000 for t in range(995, int(_LOWEST_RECALL * 1000) - 1, -5)
                     if h0_p_value(labels, total, t / 1000) < 1 - confidence), None)
    left = None if at_least is None else int(np.floor(found / at_least - found + 1e-9))
    last = np.flatnonzero(labels == 1)
    since = len(labels) - 1 - int(last[-1]) if len(last) else len(labels)
    return StoppingVerdict(len(labels), total, found, p, p < 1 - confidence, recall_target, confidence, at_least,
                           left, since)


#: The label column taken when ``--label`` is not given, and after it the label columns of ASReview LAB
