"""The tests behind "improbably high": Poisson tails, Fisher's exact test, conditional binomial.

Every finding of a report is one of many tests (types x days, types x hours...), so callers
compare p-values with ``alpha / tests`` (Bonferroni): with ``alpha = 0.01`` a report with no real
pattern flags nothing 99 times out of 100.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# scipy.special, not scipy.stats: the same tails, and the command starts 2 s sooner.
from scipy import special


def poisson_excess(
    count: NDArray[np.float64], expected: NDArray[np.float64]
) -> NDArray[np.float64]:
    """P(X >= count) for X ~ Poisson(expected): how surprising a count this high is."""
    count = np.asarray(count, dtype=np.float64)
    lam = np.maximum(np.asarray(expected, dtype=np.float64), 1e-12)
    # P(X >= k) is the regularised lower incomplete gamma function P(k, lambda), for k >= 1.
    tail = special.gammainc(np.maximum(count, 1.0), lam)
    return np.asarray(np.where(count <= 0, 1.0, tail), dtype=np.float64)


def _hypergeom_sf(drawn_hits: float, population: float, hits: float, drawn: float) -> float:
    """P(X >= drawn_hits) when ``drawn`` of ``population`` are drawn and ``hits`` are hits."""
    low = max(int(drawn_hits), 0)
    high = int(min(hits, drawn))
    if low > high:
        return 0.0
    x = np.arange(low, high + 1, dtype=np.float64)
    log_pmf = (
        _log_choose(hits, x)
        + _log_choose(population - hits, drawn - x)
        - _log_choose(population, np.array([drawn]))
    )
    return float(min(1.0, np.exp(special.logsumexp(log_pmf))))


def _log_choose(n: float, k: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(
        special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1),
        dtype=np.float64,
    )


def fisher_excess(
    inside_type: NDArray[np.float64],
    inside_all: NDArray[np.float64],
    type_total: NDArray[np.float64],
    total: float,
) -> NDArray[np.float64]:
    """One-sided Fisher's exact test: is a type over-represented inside a slice (an hour, a
    shift) compared with its share of everything?

    ``inside_type`` complaints of the type fell inside the slice, which holds ``inside_all``
    complaints of every type; the type has ``type_total`` of ``total`` in all. Returns
    P(X >= inside_type) under the hypergeometric law (drawing the slice at random).
    """
    if total <= 0:
        return np.ones(np.shape(inside_type), dtype=np.float64)
    return np.array(
        [
            _hypergeom_sf(float(a), float(total), float(k), float(n))
            for a, n, k in zip(
                np.atleast_1d(inside_type),
                np.atleast_1d(inside_all),
                np.atleast_1d(type_total),
                strict=True,
            )
        ],
        dtype=np.float64,
    )


def rate_change(
    before: NDArray[np.float64],
    after: NDArray[np.float64],
    before_days: float,
    after_days: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Whether a rate went up or down between two windows of given lengths.

    Given ``before + after`` events, the share falling after is Binomial(n, t_after / t_total)
    when the rate did not change. Returns the one-sided p-values (up, down).
    """
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    n = (before + after).astype(np.int64)
    k = after.astype(np.int64)
    share = after_days / (before_days + after_days) if before_days + after_days > 0 else 0.5
    # P(X >= k) = P(X > k - 1); bdtrc(k, n, p) is P(X > k), bdtr(k, n, p) is P(X <= k).
    up = np.where(k <= 0, 1.0, special.bdtrc(np.maximum(k - 1, 0), n, share))
    down = special.bdtr(k, n, share)
    return np.asarray(up, dtype=np.float64), np.asarray(down, dtype=np.float64)


def percentile(values: NDArray[np.float64], q: float) -> float | None:
    """The q-th percentile (0-100) of the values, None when there are none."""
    if values.size == 0:
        return None
    return float(np.percentile(values, q))
