"""Summary statistics for reports: mean, 95 % confidence interval, best."""

from __future__ import annotations

import math
from typing import Sequence

from attrs import frozen
from scipy.stats import t as student_t

def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (the two-sided 95 % factor)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    return float(student_t.ppf(0.975, df))


@frozen
class Summary:
    """Mean with a 95 % t-interval, standard deviation, best value and count.

    One value has no interval (``low`` and ``high`` are None) and no spread (``std`` is None):
    a zero-width interval would claim a certainty one measurement cannot give.
    """

    n: int
    mean: float
    low: float | None
    high: float | None
    std: float | None
    best: float

    def to_json(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("n", "mean", "low", "high", "std", "best")}


def summarize(values: Sequence[float]) -> Summary | None:
    """None for no values; no interval for one."""
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    if n == 1:
        return Summary(1, mean, None, None, None, values[0])
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile_975(n - 1) * std / math.sqrt(n)
    return Summary(n, mean, mean - half, mean + half, std, max(values))
