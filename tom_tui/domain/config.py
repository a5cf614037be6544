"""Arrays of tables in a store's config file (``[[jobs]]``, ``[[alert_rules]]``, ``[[followup]]``),
read so that every problem in them is reported at once rather than the first one alone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tom_tui.domain.errors import ValidationError

CONFIG_NAME = "tom-tui.toml"


class ConfigTables:
    """The tables of one array (``config[key]``) and the problems found in them.

    Iterating yields ``(where, table)`` for each entry that is a table, ``where`` naming it in
    messages (``tom-tui.toml: jobs[2]``); an entry that is not a table is a problem. The caller
    appends its own findings to :attr:`problems` and ends with :meth:`raise_problems`.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        key: str,
        config_name: str = CONFIG_NAME,
        where_format: str = "{config}: {key}[{number}]",
    ) -> None:
        entries = config.get(key, [])
        if not isinstance(entries, list):
            raise ValidationError(f"{config_name}: {key} must be an array of tables ([[{key}]])")
        self.entries: list[Any] = entries
        self.key = key
        self.config_name = config_name
        self.where_format = where_format
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for number, entry in enumerate(self.entries, start=1):
            where = self.where_format.format(config=self.config_name, key=self.key, number=number)
            if isinstance(entry, dict):
                yield where, entry
            else:
                self.problems.append(f"{where}: expected a table")

    def raise_problems(self) -> None:
        """Raise one ValidationError carrying every problem found, if there is any."""
        if self.problems:
            raise ValidationError(self.problems[0], self.problems)
