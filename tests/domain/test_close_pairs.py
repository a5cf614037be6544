"""Pair finding used by bulk duplicate checks agrees with brute force, at the RA wrap and poles too."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.domain.sky import close_pairs, separation_arcsec


def brute_force(ra: np.ndarray, dec: np.ndarray, radius: float) -> set[tuple[int, int]]:
    first, second = np.triu_indices(len(ra), k=1)
    separation = separation_arcsec(ra[first], dec[first], ra[second], dec[second])
    keep = separation <= radius
    return set(zip(first[keep].tolist(), second[keep].tolist(), strict=True))


@pytest.mark.parametrize("max_sweeps", [64, 1])  # 1 forces the KD-tree fallback
def test_close_pairs_match_brute_force(max_sweeps: int) -> None:
    rng = np.random.default_rng(7)
    centres_ra = np.array([0.0, 359.9995, 120.0, 45.0])
    centres_dec = np.array([0.0, 0.0, 89.9995, -89.9999])
    # Clumps around awkward places (RA wrap, both poles) plus a uniform background.
    ra = np.concatenate(
        [(np.repeat(centres_ra, 40) + rng.normal(0, 0.0008, 160)) % 360, rng.uniform(0, 360, 300)]
    )
    dec = np.concatenate(
        [
            np.clip(np.repeat(centres_dec, 40) + rng.normal(0, 0.0008, 160), -90, 90),
            np.degrees(np.arcsin(rng.uniform(-1, 1, 300))),
        ]
    )
    first, second, separation = close_pairs(ra, dec, 3.0, max_sweeps=max_sweeps)
    found = set(zip(first.tolist(), second.tolist(), strict=True))
    assert found == brute_force(ra, dec, 3.0)
    assert len(found) > 50
    assert np.all(separation <= 3.0)


def test_many_equal_declinations_still_finish() -> None:
    ra = np.linspace(0, 1, 2000)  # 1.8″ apart along the equator
    dec = np.zeros(2000)
    first, second, _ = close_pairs(ra, dec, 2.0)
    assert len(first) == 1999 and np.all(second - first == 1)
