"""Beta-Bernoulli Thompson sampling: probability each arm is best and next period's traffic allocation.

Monte Carlo over the Beta posteriors with a caller-supplied seed, so results are reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd


def probability_best(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    n_draws: int = 100_000,
    seed: int = 0,
    prior_alpha: float = 1.0,
    prior_beta: float = 1.0,
) -> np.ndarray:
    """P(arm has the highest conversion rate) under Beta(prior + successes, prior + failures) posteriors."""
    s = np.asarray(successes, dtype=float)
    t = np.asarray(trials, dtype=float)
    if s.ndim != 1 or s.shape != t.shape or s.size == 0:
        raise ValueError("successes and trials must be equal-length, non-empty 1-d sequences")
    if np.any(s < 0) or np.any(s > t):
        raise ValueError("need 0 <= successes <= trials for every arm")
    rng = np.random.default_rng(seed)
    draws = rng.beta(prior_alpha + s, prior_beta + t - s, size=(n_draws, s.size))
    wins = np.bincount(draws.argmax(axis=1), minlength=s.size)
    return wins / n_draws


def apply_allocation_floor(probabilities: npt.ArrayLike, floor: float = 0.0) -> np.ndarray:
    """Give every arm at least `floor` of traffic and share the rest in proportion to `probabilities`.

    Arms pushed up to the floor are fixed there and the others are renormalised, repeating until stable,
    so no arm ends below the floor (a single clip-then-renormalise pass can undershoot it).
    """
    p = np.asarray(probabilities, dtype=float)
    k = p.size
    if floor < 0 or floor * k > 1 + 1e-12:
        raise ValueError(f"floor must be in [0, 1/{k}] for {k} arms")
    p = p / p.sum()
    fixed = np.zeros(k, dtype=bool)
    while True:
        free_total = p[~fixed].sum()
        scale = (1 - floor * fixed.sum()) / free_total if free_total > 0 else 0.0
        alloc = np.where(fixed, floor, p * scale)
        newly_fixed = ~fixed & (alloc < floor)
        if not newly_fixed.any():
            return alloc
        fixed |= newly_fixed


def thompson_allocation(
    variants: Sequence[str],
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    floor: float = 0.0,
    n_draws: int = 100_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per arm: successes, trials, observed rate, P(best) and the recommended allocation for next period."""
    s = np.asarray(successes, dtype=float)
    t = np.asarray(trials, dtype=float)
    prob = probability_best(s, t, n_draws=n_draws, seed=seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = s / t
    return pd.DataFrame(
        {
            "variant": list(variants),
            "successes": s.astype(int),
            "trials": t.astype(int),
            "rate": rate,
            "prob_best": prob,
            "allocation": apply_allocation_floor(prob, floor),
        }
    )
