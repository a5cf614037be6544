"""Dialogs that write or query targets: add/edit form, merge, cone search.

Validation is ``build_target``'s (the same as the CLI's); each problem it reports is shown under
its field. Validation and the write both run in a thread worker: sexagesimal input needs astropy,
which takes a second to import the first time, and the UI must not freeze for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow.compute as pc
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tom_tui.domain.errors import DuplicateError, NotFoundError, ValidationError
from tom_tui.domain.target import (
    FIELD_HELP,
    NON_SIDEREAL,
    ORBITAL_FIELDS,
    SCHEMES,
    SIDEREAL,
    Target,
    build_target,
)
from tom_tui.domain.text import has_control, strip_control
from tom_tui.screens.base import TomModal
from tom_tui.screens.formatting import shown
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.session import Store
from tom_tui.services.targets.index import TargetIndex
from tom_tui.services.targets.operations import TargetService, parse_cone

MAIN_FIELDS = ("name", "ra", "dec", "aliases", "tags", "lists")
SIDEREAL_EXTRA_FIELDS = ("epoch", "pm_ra", "pm_dec", "parallax", "distance", "distance_err")
LIST_FIELDS = ("aliases", "tags", "lists")
FIELD_LABELS = {
    "name": "Name",
    "ra": "RA",
    "dec": "Dec",
    "aliases": "Aliases",
    "tags": "Tags",
    "lists": "Lists",
}
LIST_HELP = "comma-separated"
# build_target names a problem by the singular; the form field is the plural.
PROBLEM_FIELD = {"alias": "aliases", "tag": "tags", "list": "lists"}


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_extras(text: str) -> tuple[dict[str, str], list[str]]:
    """``key = value`` lines; values stay text for ``build_target`` to type."""
    extras: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, separator, value = line.partition("=")
        if not separator:
            problems.append(f"extra: line {number}: {line.strip()!r} has no '='; expected KEY = VALUE")
        elif not key.strip():
            problems.append(f"extra: line {number}: empty key; expected KEY = VALUE")
        else:
            extras[key.strip()] = value.strip()
    return extras, problems


def form_text(value: Any) -> str:
    """A stored value as form text that reads back to exactly the same value (floats in full, so
    saving an untouched form never moves a target). Control characters are left out: a field
    would send them to the terminal, and saving removes them as every way in does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(strip_control(str(item)) for item in value)
    return strip_control(str(value))


def holds_control(value: Any) -> bool:
    """Whether a stored value (text, or a list or mapping of them) has a control character."""
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict):
        return any(holds_control(key) or holds_control(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_control(item) for item in value)
    return False


def problem_field(problem: str) -> str:
    name = problem.split(":", 1)[0].strip()
    return PROBLEM_FIELD.get(name, name)


@dataclass
class TargetFetchedForEdit(Message):
    target: Target


BOOKKEEPING_FIELDS = ("id", "created", "modified")


def same_target(edited: Target, stored: Target) -> bool:
    """Whether the form holds exactly the stored target (its id and timestamps aside)."""
    edited_fields, stored_fields = edited.to_json(), stored.to_json()
    for name in BOOKKEEPING_FIELDS:
        edited_fields.pop(name, None)
        stored_fields.pop(name, None)
    return edited_fields == stored_fields


class TargetFormScreen(TomModal):
    """Add a target (``target_id`` None) or edit one. Dismisses with the saved target's id."""

    PALETTE_NAMESPACE = "form"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, target_id: int | None) -> None:
        super().__init__()
        self.target_id = target_id
        self.original: Target | None = None
        self.saving = False
        self._orbital_state = "absent"  # -> "mounting" -> "mounted"

    @staticmethod
    def field_row(name: str, label: str | None = None) -> list[Widget]:
        placeholder = LIST_HELP if name in LIST_FIELDS else FIELD_HELP.get(name, "")
        return [
            Horizontal(
                Label(label or FIELD_LABELS.get(name, name), classes="field-label"),
                TomInput(placeholder=placeholder, id=f"field-{name}", classes="field-input"),
                classes="field-row",
                id=f"row-{name}",
            ),
            Static("", id=f"error-{name}", classes="field-error", markup=False),
        ]

    @classmethod
    def orbital_rows(cls) -> list[Widget]:
        scheme = Horizontal(
            Label("scheme", classes="field-label"),
            Select(
                [(scheme, scheme) for scheme in SCHEMES], id="field-scheme", prompt="scheme", compact=True
            ),
            classes="field-row",
        )
        rows: list[Widget] = [scheme, Static("", id="error-scheme", classes="field-error", markup=False)]
        for name in ORBITAL_FIELDS:
            rows += cls.field_row(name)
        return rows

    def compose(self) -> ComposeResult:
        title = "Add target" if self.target_id is None else "Edit target"
        with Vertical(id="target-form", classes="dialog"):
            yield Static(f"{title}   (ctrl+s saves, Esc cancels)", classes="dialog-title")
            yield Static("", id="form-error", classes="field-error", markup=False)
            with VerticalScroll(id="form-fields"):
                with Horizontal(classes="field-row"):
                    yield Label("Type", classes="field-label")
                    yield Select(
                        [("sidereal (RA/Dec)", SIDEREAL), ("non-sidereal (orbital elements)", NON_SIDEREAL)],
                        value=SIDEREAL,
                        allow_blank=False,
                        id="field-type",
                        compact=True,
                    )
                for name in MAIN_FIELDS:
                    yield from self.field_row(name)
                with Vertical(id="sidereal-fields"):
                    for name in SIDEREAL_EXTRA_FIELDS:
                        yield from self.field_row(name)
                # The 15 orbital-element rows are mounted only when needed: the form opens twice
                # as fast without them, and most targets are sidereal.
                yield Vertical(id="orbital-fields")
                yield Label("Extras: KEY = VALUE per line (numbers, booleans, dates get typed)")
                yield TextArea("", id="field-extra", classes="field-extra")
                yield Static("", id="error-extra", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="form-save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#orbital-fields").display = False
        self.query_one("#field-name", Input).focus()
        if self.target_id is not None:
            self.query_one("#form-save", Button).disabled = True
            self._load_worker(self.target_id)

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False, name="load target")
    def _load_worker(self, target_id: int) -> None:
        self.post_message(TargetFetchedForEdit(TargetService(self.tom_app.store).get(target_id)))

    @on(TargetFetchedForEdit)
    async def fetched(self, message: TargetFetchedForEdit) -> None:
        await self.fill(message.target)

    async def fill(self, target: Target) -> None:
        await self.show_type(target.type)
        self.original = target
        for name in self.field_names():
            self.query_one(f"#field-{name}", Input).value = form_text(getattr(target, name))
        self.query_one("#field-type", Select).value = target.type
        if target.scheme:
            self.query_one("#field-scheme", Select).value = target.scheme
        self.query_one("#field-extra", TextArea).text = "\n".join(
            f"{form_text(key)} = {form_text(value)}" for key, value in target.extra.items()
        )
        self.query_one("#form-save", Button).disabled = False
        if holds_control(target.to_json()):
            self.app.notify(
                "this target's stored text holds control characters; the form leaves them out "
                "and saving removes them",
                title="Targets",
                severity="warning",
            )

    @property
    def orbital_rows_mounted(self) -> bool:
        return self._orbital_state == "mounted"

    def field_names(self) -> tuple[str, ...]:
        """The text fields on the form now."""
        orbital = ORBITAL_FIELDS if self.orbital_rows_mounted else ()
        return (*MAIN_FIELDS, *SIDEREAL_EXTRA_FIELDS, *orbital)

    async def show_type(self, target_type: str) -> None:
        orbital = self.query_one("#orbital-fields", Vertical)
        if target_type != SIDEREAL and self._orbital_state == "absent":
            self._orbital_state = "mounting"
            await orbital.mount(*self.orbital_rows())
            self._orbital_state = "mounted"
        self.query_one("#sidereal-fields").display = target_type == SIDEREAL
        orbital.display = target_type != SIDEREAL

    @on(Select.Changed, "#field-type")
    async def type_changed(self, event: Select.Changed) -> None:
        await self.show_type(str(event.value))

    # -- collecting and saving --
    def collect(self) -> tuple[dict[str, Any], list[str]]:
        """The form as raw fields for ``build_target``, plus problems found before it runs."""
        target_type = str(self.query_one("#field-type", Select).value)
        fields: dict[str, Any] = {"type": target_type}
        hidden = ORBITAL_FIELDS if target_type == SIDEREAL else SIDEREAL_EXTRA_FIELDS
        shown = self.field_names()
        for name in (*MAIN_FIELDS, *SIDEREAL_EXTRA_FIELDS, *ORBITAL_FIELDS):
            text = self.query_one(f"#field-{name}", Input).value.strip() if name in shown else ""
            # Fields of the other type are cleared, so switching type leaves no stale elements.
            fields[name] = split_list(text) if name in LIST_FIELDS else ("" if name in hidden else text)
        scheme = self.query_one("#field-scheme", Select).value if self.orbital_rows_mounted else Select.BLANK
        fields["scheme"] = "" if target_type == SIDEREAL or scheme is Select.BLANK else str(scheme)
        extras, problems = parse_extras(self.query_one("#field-extra", TextArea).text)
        fields["extra"] = extras
        return fields, problems

    def action_save(self) -> None:
        if self.saving or self.query_one("#form-save", Button).disabled:
            return
        fields, problems = self.collect()
        self.show_problems([])
        self.saving = True
        self._save_worker(fields, problems)

    @on(Button.Pressed, "#form-save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False, name="save target")
    def _save_worker(self, fields: dict[str, Any], problems: list[str]) -> None:
        try:
            try:
                candidate: Target | None = build_target(fields)
            except ValidationError as error:
                candidate, problems = None, problems + error.problems
            if problems:
                self.app.call_from_thread(self.show_problems, problems)
                return
            if self.original is not None and candidate is not None and same_target(candidate, self.original):
                self.app.call_from_thread(self.unchanged)
                return
            service = TargetService(self.tom_app.store)
            try:
                if self.target_id is None:
                    saved = service.add(fields).target
                else:
                    original_extra = self.original.extra if self.original else {}
                    extra: dict[str, Any] = {
                        key: None for key in original_extra if key not in fields["extra"]
                    }
                    extra.update(fields["extra"])
                    saved = service.edit(self.target_id, {**fields, "extra": extra}, base=self.original)
            except (DuplicateError, NotFoundError) as error:
                self.app.call_from_thread(self.show_problems, [f"form: {error}"])
                return
            except ValidationError as error:
                self.app.call_from_thread(self.show_problems, error.problems)
                return
            self.app.call_from_thread(self.saved, saved)
        finally:
            self.saving = False

    def unchanged(self) -> None:
        """Saving with no change writes nothing (the target keeps its ``modified`` time)."""
        self.app.notify("no change to save", title="Targets")
        self.dismiss(None)

    def saved(self, target: Target) -> None:
        verb = "added" if self.target_id is None else "saved"
        self.app.notify(f"{verb} target {target.name!r}", title="Targets")
        self.tom_app.check_store()
        self.dismiss(target.id)

    def show_problems(self, problems: list[str]) -> None:
        """Each problem under its field; problems about no single field at the top."""
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem_field(problem), []).append(problem)
        general: list[str] = []
        for widget in self.query(".field-error"):
            if widget.id == "form-error":
                continue
            field = (widget.id or "").removeprefix("error-")
            found = by_field.pop(field, [])
            assert isinstance(widget, Static)
            widget.update(shown("\n".join(found), lines=True))
            widget.set_class(bool(found), "-shown")
        for remaining in by_field.values():
            general.extend(problem.removeprefix("form: ") for problem in remaining)
        form_error = self.query_one("#form-error", Static)
        form_error.update(shown("\n".join(general), lines=True))
        form_error.set_class(bool(general), "-shown")
        if problems:
            first = next((p for p in problems if problem_field(p) in {*MAIN_FIELDS, *ORBITAL_FIELDS}), None)
            if first is not None:
                self.query_one(f"#field-{problem_field(first)}", Input).focus()

    @property
    def shown_problems(self) -> dict[str, str]:
        """Field → error text currently shown (what the user sees; used by tests)."""
        shown: dict[str, str] = {}
        for widget in self.query(".field-error.-shown"):
            assert isinstance(widget, Static)
            shown[(widget.id or "").removeprefix("error-")] = str(widget.content)
        return shown


class TargetNameSuggester(Suggester):
    """Completes a target name from the index (case-insensitive prefix, in the store's order)."""

    def __init__(self, store: Store, index: TargetIndex | None = None) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self.store = store
        self.index = index

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        if self.index is None:
            self.index = await asyncio.to_thread(TargetService(self.store).index)
        names = self.index.table.column("name")
        hits = pc.indices_nonzero(pc.starts_with(pc.utf8_lower(names), value.lower()))
        suggestion = None if len(hits) == 0 else str(names[hits[0].as_py()].as_py())
        # A field would send a stored control character to the terminal: no such suggestion.
        return None if suggestion is None or has_control(suggestion) else suggestion


class MergeScreen(TomModal):
    """Merge another target into this one; dismisses with the kept target's id."""

    PALETTE_NAMESPACE = "merge"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="merge.cancel")]

    def __init__(self, target_id: int, name: str, index: TargetIndex | None) -> None:
        super().__init__()
        self.target_id = target_id
        self.target_name = name
        self.index = index

    def compose(self) -> ComposeResult:
        with Vertical(id="merge-dialog", classes="dialog"):
            yield Static(shown(f"Merge another target into {self.target_name!r}"), classes="dialog-title")
            yield Static(
                "The other target's name becomes an alias of this one, and its tags, lists, extras "
                "and data move here; then it is removed. Enter merges, Esc cancels.",
                classes="dialog-help",
            )
            yield TomInput(
                placeholder="other target: name, alias or #id (→ completes)",
                id="merge-other",
                suggester=TargetNameSuggester(self.tom_app.store, self.index),
            )
            yield Static("", id="merge-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#merge-other", Input).focus()

    @on(Input.Submitted, "#merge-other")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._merge_worker(event.value.strip())

    @work(thread=True, exclusive=True, group="merge", exit_on_error=False, name="merge targets")
    def _merge_worker(self, other: str) -> None:
        try:
            merged = TargetService(self.tom_app.store).merge(self.target_id, other)
        except (NotFoundError, ValidationError) as error:
            self.app.call_from_thread(self.show_error, str(error))
            return
        self.app.call_from_thread(self.merged, merged)

    def show_error(self, message: str) -> None:
        error = self.query_one("#merge-error", Static)
        error.update(shown(message, lines=True))
        error.set_class(bool(message), "-shown")

    def merged(self, target: Target) -> None:
        self.app.notify(f"merged into {target.name!r}", title="Targets")
        self.tom_app.check_store()
        self.dismiss(target.id)


@dataclass(frozen=True)
class ConeChoice:
    cone: tuple[float, float, float] | None  # None: no cone search


class ConeScreen(TomModal):
    """RA, Dec (degrees or sexagesimal) and a radius in arcseconds; all empty clears the cone."""

    PALETTE_NAMESPACE = "cone"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cone.cancel")]

    def __init__(self, current: tuple[float, float, float] | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        ra, dec, radius = ("", "", "10") if self.current is None else (f"{v:g}" for v in self.current)
        with Vertical(id="cone-dialog", classes="dialog"):
            yield Static(
                "Cone search   (Enter searches; all empty clears; Esc cancels)", classes="dialog-title"
            )
            for name, label, value, help_text in (
                ("ra", "RA", ra, "degrees or 12:34:56.7"),
                ("dec", "Dec", dec, "degrees or -12:34:56"),
                ("radius", "Radius ″", radius, "arcseconds"),
            ):
                with Horizontal(classes="field-row"):
                    yield Label(label, classes="field-label")
                    yield TomInput(value, placeholder=help_text, id=f"cone-{name}", classes="field-input")
            yield Static("", id="cone-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#cone-ra", Input).focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        values = [self.query_one(f"#cone-{name}", Input).value.strip() for name in ("ra", "dec", "radius")]
        if not values[0] and not values[1]:
            self.dismiss(ConeChoice(None))
            return
        self._parse_worker(*values)

    @work(thread=True, exclusive=True, group="cone", exit_on_error=False, name="parse cone")
    def _parse_worker(self, ra: str, dec: str, radius: str) -> None:
        try:
            cone = parse_cone(ra, dec, radius)
        except ValidationError as error:
            self.app.call_from_thread(self.show_error, str(error))
            return
        self.app.call_from_thread(self.dismiss, ConeChoice(cone))

    def show_error(self, message: str) -> None:
        error = self.query_one("#cone-error", Static)
        error.update(shown(message, lines=True))
        error.set_class(True, "-shown")
