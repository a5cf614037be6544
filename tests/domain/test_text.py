"""Control characters: removed from what comes in, made visible in what goes to a terminal."""

from __future__ import annotations

from tom_tui.adapters.brokers.base import GenericAlert
from tom_tui.domain.target import build_target
from tom_tui.domain.text import escape_control, strip_control, terminal_safe

# OSC 52 writes the clipboard ("aGk=" is base64 for "hi"); OSC 0 sets the window title.
CLIPBOARD = "\x1b]52;c;aGk=\x07"
TITLE = "\x1b]0;pwned\x07"
C1_CSI = "\x9b2J"  # the one-character form of ESC [ : clear the screen


def test_control_characters_are_stripped_and_layout_becomes_spaces() -> None:
    assert strip_control(f"SN{TITLE} 2026x{C1_CSI}") == "SN]0;pwned 2026x2J"
    assert strip_control("a\tb\nc") == "a b c"


def test_terminal_text_shows_escapes_but_keeps_lines_and_colours() -> None:
    coloured = "\x1b[31mred\x1b[0m"
    shown = terminal_safe(f"{coloured} {CLIPBOARD}\n\tnext")
    assert shown == "\x1b[31mred\x1b[0m \\x1b]52;c;aGk=\\x07\n\tnext"
    assert escape_control("a\nb") == "a\\x0ab"


def test_target_validation_strips_names_tags_aliases_and_extras() -> None:
    target = build_target(
        {
            "name": f"SN{TITLE}2026x",
            "ra": 10.0,
            "dec": 20.0,
            "aliases": [f"ZTF26{CLIPBOARD}"],
            "tags": [f"hot{C1_CSI}"],
            "extra": {f"note{TITLE}": f"see{CLIPBOARD}"},
        }
    )
    everything = repr(target.to_json())
    assert "\x1b" not in everything and "\x07" not in everything and "\x9b" not in everything
    assert target.name == "SN]0;pwned2026x" and target.tags == ["hot2J"]


def test_a_broker_answer_cannot_carry_control_characters() -> None:
    alert = GenericAlert(
        broker="lasair",
        id=f"ZTF21abcdefg{CLIPBOARD}",
        name=f"ZTF21abcdefg{TITLE}",
        ra=1.0,
        dec=2.0,
        classification=f"SN{C1_CSI}",
        aliases=[CLIPBOARD],
        extra={"comment": [f"x{TITLE}"]},
    )
    assert alert.id == "ZTF21abcdefg]52;c;aGk=" and alert.name == "ZTF21abcdefg]0;pwned"
    assert alert.classification == "SN2J" and alert.extra == {"comment": ["x]0;pwned"]}


def test_terminal_text_keeps_csv_line_ends_but_not_a_lone_carriage_return() -> None:
    assert terminal_safe("a,b\r\nc,d\r\n") == "a,b\r\nc,d\r\n"
    assert terminal_safe("evil\rgood") == "evil\\x0dgood"
