"""Summary statistics for reports: mean, 95 % confidence interval, best."""

from __future__ import annotations

import math
from typing import Sequence

from attrs import frozen

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t (exact table to 30, then a Cornish-Fisher expansion)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@frozen
class Summary:
    """Mean with a 95 % t-interval, standard deviation, best value and count."""

    n: int
    mean: float
    low: float
    high: float
    std: float
    best: float

    def to_json(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("n", "mean", "low", "high", "std", "best")}


def summarize(values: Sequence[float]) -> Summary | None:
    """None for no values; a zero-width interval for one."""
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = t_quantile_975(n - 1) * std / math.sqrt(n) if n > 1 else 0.0
    return Summary(n, mean, mean - half, mean + half, std, max(values))
