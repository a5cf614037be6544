"""The shape of the code: no function in tom_tui runs over 60 lines without a stated reason.

A long function usually does two jobs. One that must stay long says why in a comment that starts
with ``# Long:`` on the line just above its ``def`` (or above its first decorator).
Complexity (branches per function) is ruff's mccabe rule, set in pyproject.toml.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

MAX_FUNCTION_LINES = 60
REASON_MARKER = "# Long:"
PACKAGE = Path(__file__).resolve().parent.parent / "tom_tui"

# "path:function" (methods as "path:Class.method") of long functions still waiting to be split;
# this set should only shrink.
ALLOWED_LONG: set[str] = set()


def _has_reason(lines: list[str], function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A ``# Long: why`` comment above the def, or above the first decorator."""
    first_decorator = min((decorator.lineno for decorator in function.decorator_list), default=None)
    for line_number in {function.lineno, first_decorator or function.lineno}:
        above = lines[line_number - 2].strip() if line_number >= 2 else ""
        if above.startswith(REASON_MARKER) and above[len(REASON_MARKER) :].strip():
            return True
    return False


def long_functions(source: str, label: str) -> list[str]:
    """``label:qualified.name (N lines)`` of every function over the limit with no stated reason."""
    lines = source.splitlines()
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if length > MAX_FUNCTION_LINES and not _has_reason(lines, child):
                    found.append(f"{label}:{prefix}{child.name} ({length} lines)")
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def test_no_function_is_long_without_a_reason() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        label = path.relative_to(PACKAGE.parent).as_posix()
        found += long_functions(path.read_text(encoding="utf-8"), label)
    unexplained = [entry for entry in found if entry.split(" (")[0] not in ALLOWED_LONG]
    assert not unexplained, (
        f"functions over {MAX_FUNCTION_LINES} lines; split them, or put '{REASON_MARKER} why' above "
        "the def:\n" + "\n".join(unexplained)
    )


def _function_source(body_lines: int, comment: str | None = None) -> str:
    body = "\n".join(f"    value_{n} = {n}" for n in range(body_lines))
    header = f"{comment}\n" if comment else ""
    return f"{header}@staticmethod\ndef measured() -> None:\n{body}\n"


def test_checker_counts_lines_and_reads_the_reason() -> None:
    # 60 lines in all (def + 59) is allowed; 61 is not.
    assert long_functions(_function_source(59), "m.py") == []
    assert long_functions(_function_source(60), "m.py") == ["m.py:measured (61 lines)"]
    assert long_functions(_function_source(60, "# Long: one table of cases, clearer whole"), "m.py") == []
    # The marker alone gives no reason.
    assert long_functions(_function_source(60, "# Long:"), "m.py") == ["m.py:measured (61 lines)"]


def test_checker_names_methods_by_class() -> None:
    method = textwrap.indent(_function_source(70), "    ")
    source = f"class Holder:\n{method}"
    assert long_functions(source, "m.py") == ["m.py:Holder.measured (71 lines)"]
