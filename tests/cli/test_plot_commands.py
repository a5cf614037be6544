"""`tom-tui plot visibility`: a target that never rises is said so; the PNG is looked at."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.cli import Run, run, targets

__all__ = ["run", "targets"]  # fixtures


def test_visibility_of_a_target_that_never_rises(run: Run, targets: None) -> None:
    result = run(
        "plot", "visibility", "Southern", "--night", "2026-11-22", "--site", "Roque de los Muchachos"
    )
    assert "Southern never rises above the horizon this night" in result.stdout
    assert "Southern from Roque de los Muchachos, night of 2026-11-22" in result.stdout


def target_pixels(path: Path) -> np.ndarray:
    """Where the image has the target track's colour (#00a0c0), as a boolean mask."""
    from matplotlib.image import imread

    image = imread(path)[..., :3]
    wanted = np.array([0x00, 0xA0, 0xC0]) / 255.0
    return np.all(np.abs(image - wanted) < 0.06, axis=-1)


def test_visibility_png_draws_the_track_where_the_target_is_up(
    run: Run, targets: None, tmp_path: Path
) -> None:
    # SN 2026abc (RA 10 h) rises at La Palma around local midnight in late November and is high
    # before dawn: its track fills the right half of the plot and stays out of the left half's top.
    rising = tmp_path / "rising.png"
    result = run("plot", "visibility", "SN 2026abc", "--night", "2026-11-22", "--png", str(rising))
    assert result.stdout.strip() == f"Wrote {rising}"
    mask = target_pixels(rising)
    assert mask.sum() > 200  # a drawn line, not a legend swatch alone
    track = mask[:, : mask.shape[1] * 3 // 4]  # leave out the legend's corner
    left, right = track[:, : track.shape[1] // 2], track[:, track.shape[1] // 2 :]
    assert right.sum() > 3 * left.sum()

    never = tmp_path / "never.png"
    run("plot", "visibility", "Southern", "--night", "2026-11-22", "--png", str(never))
    plot_area = target_pixels(never)[:, : mask.shape[1] * 3 // 4]
    assert plot_area.sum() == 0  # below the horizon all night: nothing drawn in the sky
