"""Scenarios: the library of saved scenarios. Save the current one, search and filter,
load one into the app, browse its revision history with a diff of what changed, delete
(with a confirmation), restore and duplicate.

The view edits nothing itself: every change goes through the ScenarioStore, which keeps
revisions immutable and records an audit trail. ``session`` holds the page's live
scenario: saving stores a snapshot of it, loading copies a stored revision into it
(``ScenarioSession.apply``), and the site's URL sync then rewrites the address bar.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models import EngineParams, ValidationError
from nexus_panel.views.session import ScenarioSession
from nexus_panel.views.tables import Table

ANY_PARAMETER = "(no parameter filter)"
LIST_COLUMNS = ("name", "revision", "updated", "description")


class ScenariosView(Viewer):
    """Save, find, load and manage saved scenarios and their revisions."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The page's live scenario.")
    store = param.Parameter(doc="The ScenarioStore (storage layer) to read and write.")

    # --- save ---------------------------------------------------------------------------
    save_name = param.String(default="", label="Name", doc="Name to save under; saving "
                             "under an existing name adds a revision to it.")
    save_description = param.String(default="", label="Description",
                                     doc="What the scenario is about.")
    save_message = param.String(default="", label="Message",
                                doc="What changed in this revision (like a commit message).")
    save = param.Event(label="Save current scenario", doc="Save as a new revision.")

    # --- find ---------------------------------------------------------------------------
    search = param.String(default="", label="Search", doc="Text in the name or description.")
    filter_param = param.Selector(default=ANY_PARAMETER,
                                  objects=[ANY_PARAMETER, *EngineParams.names()],
                                  label="Filter by parameter",
                                  doc="Only scenarios whose parameter lies in the range.")
    filter_min = param.Number(default=None, allow_None=True, label="from",
                              doc="Lowest value of the filter parameter (empty: no limit).")
    filter_max = param.Number(default=None, allow_None=True, label="to",
                              doc="Highest value of the filter parameter (empty: no limit).")
    show_deleted = param.Boolean(default=False, label="Deleted only",
                                 doc="List the deleted scenarios instead, to restore one.")

    # --- act on the selected scenario --------------------------------------------------
    selected = param.String(default="", doc="Name of the scenario selected in the list.")
    load = param.Event(label="Load", doc="Make the selected revision the current scenario.")
    duplicate_name = param.String(default="", label="Copy name",
                                  doc="Name for the duplicate of the selected scenario.")
    duplicate = param.Event(label="Duplicate", doc="Copy the selected scenario.")
    delete = param.Event(label="Delete…", doc="Delete the selected scenario (asks first).")
    confirm_delete = param.Event(label="Yes, delete", doc="Confirm the deletion.")
    cancel_delete = param.Event(label="Cancel", doc="Keep the scenario.")
    restore = param.Event(label="Restore", doc="Bring back a deleted scenario.")
    revision = param.Integer(default=None, allow_None=True, bounds=(1, None), label="Revision",
                             doc="Revision to load and to diff against its predecessor.")
    revisions = param.List(default=[], item_type=int, doc="Revision numbers of the selected "
                           "scenario, newest first.")

    # --- state shown --------------------------------------------------------------------
    message = param.String(default="", doc="Outcome of the last action.")
    message_kind = param.Selector(default="info", objects=["info", "success", "danger"])
    confirming = param.Boolean(default=False, doc="A delete is awaiting confirmation.")
    version = param.Integer(default=0, doc="Bumped after every write, to refresh the views.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.session is None:
            self.session = ScenarioSession()
        self._sync_save_fields()
        self._list = Table(
            self._table(), disabled=True, selectable=1, show_index=False, pagination=None,
            layout="fit_columns", widths={"name": "34%", "revision": "10%", "updated": "18%",
                                          "description": "38%"},
            height=280, sizing_mode="stretch_width", css_classes=["nx-scenario-list"],
            configuration={"placeholder": "No saved scenarios match."})
        self._list.param.watch(self._on_row_selected, "selection")

    # --- reading ------------------------------------------------------------------------
    def records(self) -> list[Any]:
        ranges: dict[str, tuple[float | None, float | None]] = {}
        if self.filter_param != ANY_PARAMETER:
            ranges[self.filter_param] = (self.filter_min, self.filter_max)
        return list(self.store.list(search=self.search or None,
                                    deleted=self.show_deleted, **ranges))

    def _table(self) -> pd.DataFrame:
        rows = [{"name": r.name, "revision": r.revision,
                 "updated": f"{r.updated_at:%Y-%m-%d %H:%M}",
                 "description": r.description}
                for r in self.records()]
        return pd.DataFrame(rows, columns=list(LIST_COLUMNS))

    @param.depends("search", "filter_param", "filter_min", "filter_max", "show_deleted",
                   "version", watch=True)
    def _on_filter(self) -> None:
        try:
            table = self._table()
        except ValidationError as exc:  # e.g. a search longer than the text rule allows
            self._report(str(exc), "danger")
            return
        self._list.value = table
        names = list(table["name"])
        if self.selected not in names:
            self.selected = ""  # filtered out, deleted or restored: nothing to act on
        self._list.selection = [names.index(self.selected)] if self.selected else []

    @param.depends("filter_param", watch=True)
    def _on_filter_param(self) -> None:
        if self.filter_param == ANY_PARAMETER:
            return
        p = EngineParams.param[self.filter_param]
        lo, hi = p.softbounds or p.bounds
        self.param.update(filter_min=lo, filter_max=hi)

    def _on_row_selected(self, event: param.parameterized.Event) -> None:
        # A selection made on a table the server has since replaced may point past its end.
        if event.new and event.new[0] < len(self._list.value):
            self.selected = str(self._list.value.iloc[event.new[0]]["name"])

    @param.depends("selected", "version", watch=True, on_init=True)
    def _on_selected(self) -> None:
        self.confirming = False
        numbers = ([r.number for r in self.store.revisions(self.selected)]
                   if self.selected and self.store is not None else [])
        numbers = sorted(numbers, reverse=True)
        self.param.update(revisions=numbers, revision=numbers[0] if numbers else None)
        if self.selected:
            self.duplicate_name = f"{self.selected} (copy)"

    def _sync_save_fields(self) -> None:
        current = self.session.scenario
        self.save_name = "" if current.name == "Untitled" else current.name
        self.save_description = current.description

    # --- writing ------------------------------------------------------------------------
    def _report(self, text: str, kind: str = "success") -> None:
        self.message_kind = kind
        self.message = text

    def _guard(self, action: Any) -> None:
        """Run a store call; a user error becomes the message, never a traceback."""
        from nexus_panel.storage.errors import StorageError

        try:
            action()
        except (ValidationError, StorageError, LookupError) as exc:
            self._report(str(exc), "danger")
        else:
            self.version += 1

    @param.depends("save", watch=True)
    def _on_save(self) -> None:
        name = self.save_name.strip()
        if not name:
            self._report("Give the scenario a name before saving.", "danger")
            return

        def action() -> None:
            scenario = self.session.snapshot().copy(name=name,
                                                    description=self.save_description)
            record = self.store.save(scenario, message=self.save_message)
            self.selected = name
            if record.created:
                self._report(f"Saved '{name}' as revision {record.number}.")
            else:
                self._report(f"'{name}' revision {record.number} already holds these values;"
                             " nothing new to save.", "info")
            self.save_message = ""
        self._guard(action)

    @param.depends("load", watch=True)
    def _on_load(self) -> None:
        if not self.selected:
            self._report("Select a scenario in the list first.", "danger")
            return

        def action() -> None:
            self.session.apply(self.store.load(self.selected, revision=self.revision))
            self._sync_save_fields()
            self._report(f"Loaded '{self.selected}' revision {self.revision}.")
        self._guard(action)

    @param.depends("duplicate", watch=True)
    def _on_duplicate(self) -> None:
        new_name = self.duplicate_name.strip()
        if not (self.selected and new_name):
            self._report("Select a scenario and give the copy a name.", "danger")
            return

        def action() -> None:
            self.store.duplicate(self.selected, new_name)
            self.selected = new_name
            self._report(f"Duplicated as '{new_name}'.")
        self._guard(action)

    @param.depends("delete", watch=True)
    def _on_delete(self) -> None:
        if not self.selected:
            self._report("Select a scenario in the list first.", "danger")
            return
        self.confirming = True

    @param.depends("cancel_delete", watch=True)
    def _on_cancel_delete(self) -> None:
        self.confirming = False

    @param.depends("confirm_delete", watch=True)
    def _on_confirm_delete(self) -> None:
        name = self.selected

        def action() -> None:
            self.store.delete(name)
            self._report(f"Deleted '{name}'. Tick 'Deleted only' to find and restore it.")
        self._guard(action)
        self.confirming = False

    @param.depends("restore", watch=True)
    def _on_restore(self) -> None:
        name = self.selected

        def action() -> None:
            self.store.restore(name)
            self._report(f"Restored '{name}'.")
        self._guard(action)

    # --- rendering ----------------------------------------------------------------------
    @param.depends("message", "message_kind")
    def _message(self) -> pn.viewable.Viewable:
        if not self.message:
            return pn.Spacer(height=0)
        return pn.pane.Alert(self.message, alert_type=self.message_kind,
                             css_classes=["nx-scenarios-message"])

    @param.depends("confirming")
    def _confirm(self) -> pn.viewable.Viewable:
        if not self.confirming:
            return pn.Spacer(height=0)
        return pn.Column(
            pn.pane.Alert(f"Delete '{self.selected}'? Its revisions and runs are kept and "
                          "it can be restored later.", alert_type="warning"),
            pn.Row(pn.widgets.Button.from_param(self.param.confirm_delete, color="danger",
                                                css_classes=["nx-confirm-delete"]),
                   pn.widgets.Button.from_param(self.param.cancel_delete)),
            css_classes=["nx-delete-confirmation"])

    @param.depends("selected", "revision", "version")
    def _history(self) -> pn.viewable.Viewable:
        if not self.selected:
            return pn.pane.Markdown("Select a scenario to see its revisions.")
        revisions = sorted(self.store.revisions(self.selected), key=lambda r: -r.number)
        history = pd.DataFrame([{"revision": r.number, "saved": f"{r.created_at:%Y-%m-%d %H:%M}",
                                 "by": r.author, "message": r.message} for r in revisions])
        parts: list[Any] = [
            pn.pane.Markdown(f"### History of '{self.selected}'"),
            pn.widgets.Tabulator(history, disabled=True, show_index=False,
                                 layout="fit_data_stretch",
                                 sizing_mode="stretch_width", css_classes=["nx-revisions"],
                                 max_height=220),
        ]
        if self.revision is not None and self.revision > 1:
            diff = self.store.diff(f"{self.selected}@{self.revision - 1}",
                                   f"{self.selected}@{self.revision}")
            text = ("\n".join(f"- {line}" for line in diff.lines()) if not diff.empty
                    else "No change to parameters, inputs or description.")
            parts.append(pn.pane.Markdown(
                f"#### Changes in revision {self.revision} (from {self.revision - 1})\n\n"
                + text, css_classes=["nx-revision-diff"]))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _revision_picker(self) -> pn.widgets.Select:
        # Options and value must change in ONE update: a Select linked to a Selector whose
        # objects change first sees its old value outside the new options and, in a served
        # session, recursed until RecursionError (observed on deleting the selection).
        picker = pn.widgets.Select(name="Revision", options=self.revisions, value=self.revision,
                                   width=90, css_classes=["nx-revision"],
                                   description=self.param.revision.doc)

        def to_picker(*_: Any) -> None:
            picker.param.update(options=self.revisions, value=self.revision)

        def from_picker(event: param.parameterized.Event) -> None:
            if event.new is not None:
                self.revision = event.new
        self.param.watch(to_picker, ["revisions", "revision"])
        picker.param.watch(from_picker, "value")
        return picker

    def __panel__(self) -> pn.viewable.Viewable:
        w = pn.widgets
        save_card = pn.Card(
            w.TextInput.from_param(self.param.save_name, css_classes=["nx-save-name"]),
            w.TextAreaInput.from_param(self.param.save_description, height=70,
                                       css_classes=["nx-save-description"]),
            w.TextInput.from_param(self.param.save_message, css_classes=["nx-save-message"]),
            w.Button.from_param(self.param.save, color="primary",
                                css_classes=["nx-save"]),
            title="Save the current scenario", collapsible=False, width=320)
        filtering = self.param.filter_param.rx() != ANY_PARAMETER
        nothing_selected = self.param.selected.rx() == ""
        filters = pn.Row(
            w.TextInput.from_param(self.param.search, placeholder="name or description",
                                   css_classes=["nx-search"], width=220),
            w.Select.from_param(self.param.filter_param, width=200,
                                css_classes=["nx-filter-param"]),
            *(w.FloatInput.from_param(getattr(self.param, f"filter_{end}"), width=110,
                                      css_classes=[f"nx-filter-{end}"], visible=filtering)
              for end in ("min", "max")),
            w.Checkbox.from_param(self.param.show_deleted, align="center",
                                  css_classes=["nx-show-deleted"]),
        )
        actions = pn.Row(
            self._revision_picker(),
            w.Button.from_param(self.param.load, color="primary", css_classes=["nx-load"],
                                align="end", disabled=nothing_selected),
            w.TextInput.from_param(self.param.duplicate_name, width=200,
                                   css_classes=["nx-duplicate-name"]),
            w.Button.from_param(self.param.duplicate, css_classes=["nx-duplicate"], align="end",
                                disabled=nothing_selected),
            w.Button.from_param(self.param.delete, color="danger",
                                css_classes=["nx-delete"], align="end",
                                disabled=nothing_selected,
                                visible=self.param.show_deleted.rx.not_()),
            w.Button.from_param(self.param.restore, color="success",
                                css_classes=["nx-restore"], align="end",
                                disabled=nothing_selected, visible=self.param.show_deleted),
        )
        library = pn.Column(filters, self._list, actions, self._confirm, self._history,
                            sizing_mode="stretch_width")
        return pn.Column(self._message, pn.Row(save_card, library, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")
