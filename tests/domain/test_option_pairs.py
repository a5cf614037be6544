"""KEY=VALUE pairs, as --extra and --where take them."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.options import parse_pairs


def test_pairs_split_at_the_first_equals_sign_and_keys_are_trimmed() -> None:
    assert parse_pairs([" host = NGC 123", "note=a=b", "empty="], "--extra", "KEY=VALUE") == {
        "host": " NGC 123",
        "note": "a=b",
        "empty": "",
    }


@pytest.mark.parametrize("pair", ["novalue", "=value", "  =value"])
def test_a_pair_without_a_key_or_an_equals_sign_names_the_flag_and_the_shape(pair: str) -> None:
    with pytest.raises(ValidationError, match=rf"--where '{pair}': expected COLUMN=VALUE"):
        parse_pairs([pair], "--where", "COLUMN=VALUE")
