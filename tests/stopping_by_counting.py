"""The stopping rule's p-value written out from its definition, with exact counts (no scipy, no buscarpy).

Callaghan & Müller-Hansen (2020): after ``n_screened`` documents of ``total``, take the last ``n``
screened as a random draw, without replacement, from the documents not screened before them
(``total - (n_screened - n)``). If recall were below ``target``, the search would hold more than
``found / target`` relevant documents, so that population would hold at least
``K = floor(found / target) + 1 - (found - k)`` of them, where ``k`` are the relevant ones in the draw.
The p-value for that ``n`` is the chance of a draw of ``n`` with at most ``k`` relevant documents,
counted as subsets: sum over i <= k of C(K, i) C(pop - K, n - i) / C(pop, n). The rule's p-value is
the smallest over every ``n``.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb, floor


def tail_by_counting(population: int, relevant: int, draw: int, at_most: int) -> Fraction:
    """The share of the ``draw``-subsets of ``population`` documents (``relevant`` of them relevant)
    that hold at most ``at_most`` relevant ones."""
    if relevant > population:
        return Fraction(0)  # the hypothesis needs more relevant documents than there are: impossible
    favourable = sum(comb(relevant, i) * comb(population - relevant, draw - i) for i in range(at_most + 1))
    return Fraction(favourable, comb(population, draw))


def p_value_by_counting(labels_in_order, total: int, target: float) -> Fraction:
    """The p-value of "recall below ``target``" after screening ``labels_in_order`` of ``total`` documents."""
    labels = [int(x) for x in labels_in_order]
    found, screened = sum(labels), len(labels)
    needed = floor(Fraction(found) / Fraction(target).limit_denominator(10**6)) + 1  # more than found / target
    best, in_draw = Fraction(1), 0
    for n in range(1, screened + 1):
        in_draw += labels[screened - n]
        population = total - (screened - n)
        best = min(best, tail_by_counting(population, needed - (found - in_draw), n, in_draw))
    return best
