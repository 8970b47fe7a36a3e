"""Seed streams per split: a split's data depends on the run's seed and its own name only.

So changing the size of one split (or adding a selection split) never changes
the samples of another, and a sample never depends on which process made it.
"""

from __future__ import annotations

#: Split names, in the order that fixes their seed streams (never reorder).
SPLITS = ("train", "select", "eval")


def seed_material(seed: int, split: str, *more: int) -> list[int]:
    """Entropy for ``np.random.SeedSequence`` / ``default_rng``: the seed (mod 2**64), the split, then ``more``."""
    return [seed % 2**64, SPLITS.index(split), *more]
