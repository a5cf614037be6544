"""`tom-tui plot visibility` on a target that never rises prints the plot and says so."""

from __future__ import annotations

from tests.support.cli import Run, run, targets

__all__ = ["run", "targets"]  # fixtures


def test_visibility_of_a_target_that_never_rises(run: Run, targets: None) -> None:
    result = run(
        "plot", "visibility", "Southern", "--night", "2026-11-22", "--site", "Roque de los Muchachos"
    )
    assert "Southern never rises above the horizon this night" in result.stdout
    assert "Southern from Roque de los Muchachos, night of 2026-11-22" in result.stdout
