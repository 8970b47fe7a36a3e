"""Summary statistics: the t-quantile against published values, the interval, the edge cases."""

from __future__ import annotations

import math

import pytest

from framework.stats import summarize, t_quantile_975


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281),
                                              (30, 2.0423), (31, 2.0395), (100, 1.9840), (1000, 1.9623)])
def test_t_quantile_matches_published_tables(df, expected):
    assert t_quantile_975(df) == pytest.approx(expected, abs=5e-5)


def test_t_quantile_refuses_no_degrees_of_freedom():
    with pytest.raises(ValueError, match="at least 1"):
        t_quantile_975(0)


def test_summary_of_known_values():
    summary = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    std = math.sqrt(2.5)
    half = 2.7764451 * std / math.sqrt(5)
    assert (summary.n, summary.mean, summary.best) == (5, 3.0, 5.0)
    assert summary.std == pytest.approx(std)
    assert (summary.low, summary.high) == (pytest.approx(3.0 - half), pytest.approx(3.0 + half))
    assert summary.to_json() == {"n": 5, "mean": 3.0, "low": summary.low, "high": summary.high,
                                 "std": summary.std, "best": 5.0}


def test_no_values_have_no_summary_and_one_value_no_interval():
    assert summarize([]) is None
    one = summarize([0.25])
    assert (one.n, one.mean, one.low, one.high, one.std, one.best) == (1, 0.25, None, None, None, 0.25)
