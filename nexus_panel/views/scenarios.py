"""Scenarios: the library of saved scenarios. Save the current one, search and filter,
load one into the app, browse its revision history with a diff of what changed, delete
(with a confirmation), restore and duplicate.

The view edits nothing itself: every change goes through the ScenarioStore, which keeps
revisions immutable and records an audit trail. ``session`` holds the page's live
scenario: saving stores a snapshot of it, loading copies a stored revision into it
(``ScenarioSession.apply``), and the site's URL sync then rewrites the address bar.

No lost updates: the session remembers the stored revision its values started from
(``base_revision``, carried in every page address). Saving under that name passes it to
the store, which refuses if someone saved a newer revision meanwhile; saving under a name
that already exists without having started from it is treated the same way. Either way
nothing is written: the page shows a conflict naming who saved what (the diff from the
revision you started from to the latest) and lets the user choose: load the latest
(dropping their edits), save theirs as the next revision anyway, or save theirs as a new
scenario.

Every name, description, message and author shown here is user text: it is rendered
through :mod:`nexus_panel.views.safe`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine import SimulationResult
from nexus_panel.models import EngineParams, Scenario, ValidationError
from nexus_panel.session import ScenarioSession
from nexus_panel.views import labels, safe
from nexus_panel.views.tables import Table
from nexus_panel.web.identity import LOCAL, Identity

ANY_PARAMETER = "(no parameter filter)"
LIST_COLUMNS = ("name", "revision", "updated", "owner", "visibility", "description")
HISTORY_COLUMNS = ("revision", "saved", "by", "message")


class ScenariosView(Viewer):
    """Save, find, load and manage saved scenarios and their revisions."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The page's live scenario.")
    store = param.Parameter(doc="The ScenarioStore (storage layer) to read and write.")
    identity = param.ClassSelector(class_=Identity, default=LOCAL, doc=(
        "Who the page acts as: decides which actions are offered (the store refuses the "
        "rest anyway)."))

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
    make_private = param.Event(label="Make private", doc="Only its owner and admins may "
                               "see the selected scenario.")
    make_team = param.Event(label="Share with the team", doc="Every account may see the "
                            "selected scenario.")
    selected_owner = param.String(default="", doc="Owner of the selected scenario.")
    selected_visibility = param.String(default="", doc="team or private (selected).")
    manageable = param.Boolean(default=False, doc="The role allows deleting, restoring "
                               "and changing the visibility of the selected scenario.")
    revision = param.Integer(default=None, allow_None=True, bounds=(1, None), label="Revision",
                             doc="Revision to load and to diff against its predecessor.")
    revisions = param.List(default=[], item_type=int, doc="Revision numbers of the selected "
                           "scenario, newest first.")

    # --- a save that would overwrite someone else's revision ----------------------------
    conflict = param.Dict(default=None, allow_None=True, doc=(
        "The refused save: name, base (revision started from, or None), latest, author."))
    conflict_reload = param.Event(label="Load the latest (drop my changes)",
                                  doc="Replace the current values by the latest revision.")
    conflict_overwrite = param.Event(label="Save mine as the next revision",
                                     doc="Save the current values on top of the latest.")
    conflict_name = param.String(default="", label="New scenario name",
                                 doc="Name for saving the current values separately.")
    conflict_new = param.Event(label="Save mine as a new scenario",
                               doc="Save the current values under the new name.")
    conflict_cancel = param.Event(label="Cancel", doc="Do nothing for now.")

    # --- state shown --------------------------------------------------------------------
    message = param.String(default="", doc="Outcome of the last action, as Markdown built "
                           "with nexus_panel.views.safe.")
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
            layout="fit_columns", widths={"name": "26%", "revision": "8%", "updated": "16%",
                                          "owner": "12%", "visibility": "10%",
                                          "description": "28%"},
            height=280, sizing_mode="stretch_width", css_classes=["nx-scenario-list"],
            configuration={"placeholder": "No saved scenarios match."})
        self._list.param.watch(self._on_row_selected, "selection")
        self._revisions = Table(
            self._history_table(), disabled=True, selectable=1, show_index=False,
            pagination=None, layout="fit_data_stretch", sizing_mode="stretch_width",
            css_classes=["nx-revisions"], max_height=220)
        self._revisions.param.watch(self._on_history_row, "selection")
        self._runs = pn.widgets.Tabulator(
            self._runs_table(), disabled=True, show_index=False, pagination=None,
            layout="fit_data_stretch", sizing_mode="stretch_width",
            css_classes=["nx-runs"], max_height=220,
            configuration={"placeholder": "No stored runs."})
        self._history_tables = (self._revisions, pn.pane.Markdown("#### Stored runs"),
                                self._runs)
        self._show_history_tables()
        self._on_revision_shown()

    # --- reading ------------------------------------------------------------------------
    def records(self) -> list[Any]:
        ranges: dict[str, tuple[float | None, float | None]] = {}
        if self.filter_param != ANY_PARAMETER:
            ranges[self.filter_param] = (self.filter_min, self.filter_max)
        return list(self.store.list(search=self.search or None,
                                    deleted=self.show_deleted, **ranges))

    def _table(self) -> pd.DataFrame:
        rows = [{"name": r.name, "revision": r.revision,
                 "updated": f"{r.updated_at:%Y-%m-%d %H:%M}", "owner": r.owner,
                 "visibility": r.visibility, "description": r.description}
                for r in self.records()]
        return pd.DataFrame(rows, columns=list(LIST_COLUMNS))

    @param.depends("search", "filter_param", "filter_min", "filter_max", "show_deleted",
                   "version", watch=True)
    def _on_filter(self) -> None:
        try:
            table = self._table()
        except ValidationError as exc:  # e.g. a search longer than the text rule allows
            self._report("{why}", "danger", why=exc)
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
        info = self.store.get(self.selected) if numbers else None
        self.param.update(revisions=numbers, revision=numbers[0] if numbers else None,
                          selected_owner=info.owner if info else "",
                          selected_visibility=info.visibility if info else "")
        self.manageable = self._may_manage()
        if self.selected:
            self.duplicate_name = f"{self.selected} (copy)"

    def _sync_save_fields(self) -> None:
        current = self.session.scenario
        self._prefilled = ""
        self.save_name = "" if current.name == "Untitled" else current.name
        self._prefill_description(current.description or None)

    def _stored_description(self, name: str) -> str | None:
        """The description saved under ``name`` (of the revision the page started from
        when that is known), or None when nothing is saved under it."""
        from nexus_panel.storage.errors import StorageError

        if self.store is None or not name or not self.store.exists(name):
            return None
        base = self.session.base_revision if name == self.session.scenario.name else None
        try:
            return self.store.revision((name, base) if base else name).description
        except (StorageError, LookupError, ValidationError):
            return None

    def _prefill_description(self, own: str | None) -> None:
        """Fill the description box with ``own``, else with the stored description of
        the name in the form: a page opened without a description (a hand-made link, a
        name typed over) must not save an empty one over the stored text unnoticed."""
        if own is None:
            own = self._stored_description(self.save_name.strip())
        self._prefilled = own if own is not None else self.session.scenario.description
        self.save_description = self._prefilled

    @param.depends("save_name", watch=True)
    def _on_save_name(self) -> None:
        if self.save_description == self._prefilled:  # the user has not typed one
            self._prefill_description(None)

    # --- writing ------------------------------------------------------------------------
    def _report(self, template: str, kind: str = "success", /, **values: Any) -> None:
        """Show ``template`` (Markdown of this module) with its ``{fields}`` as plain text."""
        self.message_kind = kind
        self.message = safe.md(template, **values)

    def _guard(self, action: Any, *, writes: bool = True) -> None:
        """Run a store call; a user error becomes the message, never a traceback.

        ``writes``: the call changed the database, so the views refresh (``version``).
        A load writes nothing: refreshing then would reset the revision picker to the
        latest revision while the page holds the older one just loaded.

        The changes an action makes (selection, revision, version, message) are batched,
        so each dependent part of the page is rebuilt once, not once per change."""
        from nexus_panel.storage.errors import StorageError

        with param.parameterized.batch_call_watchers(self):
            try:
                action()
            except (ValidationError, StorageError, LookupError) as exc:
                self._report("{why}", "danger", why=exc)
            else:
                if writes:
                    self.version += 1

    @param.depends("save", watch=True)
    def _on_save(self) -> None:
        name = self.save_name.strip()
        if not name:
            self._report("Give the scenario a name before saving.", "danger")
            return
        live = self.session.scenario
        base = self.session.base_revision if name == live.name else None
        self._save_as(name, base, check_existing=True)

    def _save_as(self, name: str, base: int | None, *, check_existing: bool) -> None:
        """Save the current values under ``name`` on top of revision ``base``; a newer
        revision (or, with ``check_existing``, any existing scenario when there is no
        base) becomes a conflict to resolve, with nothing written."""
        from nexus_panel.storage.errors import ConflictError

        def action() -> None:
            scenario = self.session.snapshot().copy(name=name,
                                                    description=self.save_description)
            if base is None and check_existing and self.store.exists(name):
                self._raise_conflict(name, None)
                return
            try:
                record = self.store.save(scenario, message=self.save_message,
                                         base_revision=base, run=self._run_of(scenario))
            except ConflictError:
                if base is None or not self.store.exists(name):
                    raise
                self._raise_conflict(name, base)
                return
            self.conflict = None
            with self.session.hold():
                self.session.scenario.param.update(name=name,
                                                   description=self.save_description)
            self.session.base_revision = record.number
            self.selected = name
            if record.created:
                self._report("Saved '{name}' as revision {number}.", name=name,
                             number=record.number)
            else:
                self._report("'{name}' revision {number} already holds these values; "
                             "nothing new to save.", "info", name=name, number=record.number)
            self.save_message = ""
        self._guard(action)

    def _run_of(self, scenario: Scenario) -> SimulationResult | None:
        """The run stored with a save: the page's own result when it is of these values
        (no second computation), else a fresh one (the page may still be computing), or
        None when this server would not compute these values for a visitor (its
        ``--max-steps`` budget): the revision is then saved without a run."""
        from nexus_panel.engine.memo import cached_simulate
        from nexus_panel.engine.work import check_steps

        result = self.session.result
        if result is None or result.content_hash != scenario.content_hash():
            if check_steps(scenario.params.num_steps) is not None:
                return None
            result = cached_simulate(scenario)
        return replace(result, scenario=scenario)

    def _runs_table(self) -> pd.DataFrame:
        runs = (sorted(self.store.runs(self.selected), key=lambda r: -r.id)
                if self.selected else [])
        rows = [{"revision": r.revision, "run at": f"{r.created_at:%Y-%m-%d %H:%M}",
                 **run_figures(r.summary)} for r in runs]
        return pd.DataFrame(rows, columns=["revision", "run at", *RUN_COLUMNS])

    def _raise_conflict(self, name: str, base: int | None) -> None:
        info = self.store.get(name)
        latest = self.store.revision((name, info.revision))
        self.param.update(conflict={"name": name, "base": base, "latest": latest.number,
                                    "author": latest.author, "deleted": info.deleted},
                          conflict_name=f"{name} (mine)", message="")

    @param.depends("conflict_reload", watch=True)
    def _on_conflict_reload(self) -> None:
        name = self.conflict["name"]

        def action() -> None:
            number = self.conflict["latest"]
            self.session.apply(self.store.load(name, revision=number), base_revision=number)
            self._sync_save_fields()
            self.conflict = None
            self.selected = name
            self._report("Loaded '{name}' revision {number}; your changes were dropped.",
                         "info", name=name, number=number)
        self._guard(action, writes=False)

    @param.depends("conflict_overwrite", watch=True)
    def _on_conflict_overwrite(self) -> None:
        self._save_as(self.conflict["name"], self.conflict["latest"], check_existing=False)

    @param.depends("conflict_new", watch=True)
    def _on_conflict_new(self) -> None:
        name = self.conflict_name.strip()
        if not name:
            self._report("Give the new scenario a name.", "danger")
            return
        self._save_as(name, None, check_existing=True)

    @param.depends("conflict_cancel", watch=True)
    def _on_conflict_cancel(self) -> None:
        self.conflict = None

    @param.depends("load", watch=True)
    def _on_load(self) -> None:
        if not self.selected:
            self._report("Select a scenario in the list first.", "danger")
            return

        def action() -> None:
            self.session.apply(self.store.load(self.selected, revision=self.revision),
                               base_revision=self.revision)
            self._sync_save_fields()
            self._report("Loaded '{name}' revision {number}.", name=self.selected,
                         number=self.revision)
        self._guard(action, writes=False)

    @param.depends("duplicate", watch=True)
    def _on_duplicate(self) -> None:
        new_name = self.duplicate_name.strip()
        if not (self.selected and new_name):
            self._report("Select a scenario and give the copy a name.", "danger")
            return

        def action() -> None:
            self.store.duplicate(self.selected, new_name)
            self.selected = new_name
            self._report("Duplicated as '{name}'.", name=new_name)
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
            self._report("Deleted '{name}'. Tick 'Deleted only' to find and restore it.",
                         name=name)
        self._guard(action)
        self.confirming = False

    @param.depends("make_private", watch=True)
    def _on_make_private(self) -> None:
        self._set_visibility("private")

    @param.depends("make_team", watch=True)
    def _on_make_team(self) -> None:
        self._set_visibility("team")

    def _set_visibility(self, visibility: str) -> None:
        name = self.selected

        def action() -> None:
            self.store.set_visibility(name, visibility)
            self._report("'{name}' is now {visibility}.", name=name, visibility=visibility)
        self._guard(action)

    # --- what the role allows (offered only; the store enforces) -----------------------
    @property
    def may_save(self) -> bool:
        """Editors and admins save, duplicate and import; viewers only read and run."""
        return self.identity.role in ("editor", "admin")

    def _may_manage(self) -> bool:
        """Delete, restore and change the visibility of the selected scenario: its owner
        (an editor) or an admin."""
        return bool(self.selected) and (self.identity.role == "admin" or (
            self.identity.role == "editor" and self.selected_owner == self.identity.name))

    @param.depends("restore", watch=True)
    def _on_restore(self) -> None:
        name = self.selected

        def action() -> None:
            self.store.restore(name)
            self._report("Restored '{name}'.", name=name)
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
            pn.pane.Alert(safe.md("Delete '{name}'? Its revisions and runs are kept and it "
                                  "can be restored later.", name=self.selected),
                          alert_type="warning"),
            pn.Row(pn.widgets.Button.from_param(self.param.confirm_delete, color="danger",
                                                css_classes=["nx-confirm-delete"]),
                   pn.widgets.Button.from_param(self.param.cancel_delete)),
            css_classes=["nx-delete-confirmation"])

    def _history_table(self) -> pd.DataFrame:
        revisions = (sorted(self.store.revisions(self.selected), key=lambda r: -r.number)
                     if self.selected else [])
        return pd.DataFrame([{"revision": r.number, "saved": f"{r.created_at:%Y-%m-%d %H:%M}",
                              "by": r.author, "message": r.message} for r in revisions],
                            columns=list(HISTORY_COLUMNS))

    @param.depends("selected", "version", watch=True)
    def _on_history_changed(self) -> None:
        self._revisions.value = self._history_table()
        self._runs.value = self._runs_table()
        self._on_revision_shown()

    @param.depends("revision", watch=True)
    def _on_revision_shown(self) -> None:
        """Highlight the revision shown (picked, loaded or clicked) in the history."""
        if not hasattr(self, "_revisions"):  # during __init__, before the table exists
            return
        numbers = list(self._revisions.value["revision"])
        wanted = [numbers.index(self.revision)] if self.revision in numbers else []
        if self._revisions.selection != wanted:
            self._revisions.selection = wanted

    def _on_history_row(self, event: param.parameterized.Event) -> None:
        # Clicking a revision in the history shows its diff (and picks it for Load).
        if event.new and event.new[0] < len(self._revisions.value):
            self.revision = int(self._revisions.value.iloc[event.new[0]]["revision"])

    @param.depends("selected")
    def _history_heading(self) -> pn.viewable.Viewable:
        if not self.selected:
            return pn.pane.Markdown("Select a scenario to see its revisions.")
        return pn.pane.Markdown(safe.md("### History of '{name}'", name=self.selected))

    @param.depends("selected", watch=True)
    def _show_history_tables(self) -> None:
        """The history and runs tables stay the same widgets (re-rendering a Tabulator
        costs about a tenth of a second each); only whether they show changes."""
        for part in self._history_tables:
            part.visible = bool(self.selected)

    @param.depends("selected", "revision", "version")
    def _diff(self) -> pn.viewable.Viewable:
        if self.selected and self.revision is not None and self.revision > 1:
            diff = self.store.diff(f"{self.selected}@{self.revision - 1}",
                                   f"{self.selected}@{self.revision}")
            head = safe.md("#### Changes in revision {number} (from {previous})",
                           number=self.revision, previous=self.revision - 1)
            return pn.pane.Markdown(head + "\n\n" + diff_markdown(diff),
                                    css_classes=["nx-revision-diff"])
        if self.selected and self.revision == 1:
            return pn.pane.Markdown("#### Revision 1 is the first: nothing to compare.",
                                    css_classes=["nx-revision-diff"])
        return pn.Spacer(height=0)

    def _history(self) -> pn.Column:
        """Heading, revisions, stored runs and the diff of the revision shown."""
        return pn.Column(self._history_heading, *self._history_tables, self._diff,
                         sizing_mode="stretch_width")

    @param.depends("conflict")
    def _conflict(self) -> pn.viewable.Viewable:
        c = self.conflict
        if c is None:
            return pn.Spacer(height=0)
        if c["base"] is None:
            head = safe.md("**'{name}' already exists** (revision {latest}, saved by {author})"
                           " and your values did not start from it: saving would add a "
                           "revision on top of it.", **c)
            changes = ""
        else:
            head = safe.md("**'{name}' was saved as revision {latest} by {author}** after "
                           "revision {base}, which your values started from. Saving now "
                           "would silently undo their changes:", **c)
            changes = "\n\n" + diff_markdown(self.store.diff(
                (c["name"], c["base"]), (c["name"], c["latest"])))
        w = pn.widgets
        return pn.Column(
            pn.pane.Alert(head + changes, alert_type="warning",
                          css_classes=["nx-conflict-message"]),
            pn.Row(w.Button.from_param(self.param.conflict_reload,
                                       css_classes=["nx-conflict-reload"]),
                   w.Button.from_param(self.param.conflict_overwrite, color="warning",
                                       css_classes=["nx-conflict-overwrite"],
                                       disabled=c["deleted"])),
            pn.Row(w.TextInput.from_param(self.param.conflict_name, width=240,
                                          css_classes=["nx-conflict-name"]),
                   w.Button.from_param(self.param.conflict_new, color="primary",
                                       css_classes=["nx-conflict-new"], align="end"),
                   w.Button.from_param(self.param.conflict_cancel, align="end")),
            css_classes=["nx-conflict"], sizing_mode="stretch_width")

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
        if not self.may_save:
            save_card = pn.pane.Alert(safe.md(
                "Signed in as {name}, a viewer: you can open, run and export scenarios; "
                "saving needs an editor.", name=self.identity.name), alert_type="info",
                css_classes=["nx-viewer-note"], width=320)
        filtering = self.param.filter_param.rx() != ANY_PARAMETER
        nothing_selected = self.param.selected.rx() == ""
        manageable = self.param.manageable.rx()
        visibility = self.param.selected_visibility.rx()
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
                                disabled=nothing_selected, visible=self.may_save),
            w.Button.from_param(self.param.delete, color="danger",
                                css_classes=["nx-delete"], align="end",
                                disabled=manageable.rx.not_(),
                                visible=self.param.show_deleted.rx.not_() & self.may_save),
            w.Button.from_param(self.param.restore, color="success",
                                css_classes=["nx-restore"], align="end",
                                disabled=manageable.rx.not_(),
                                visible=self.param.show_deleted.rx() & self.may_save),
            w.Button.from_param(self.param.make_private, css_classes=["nx-make-private"],
                                align="end", visible=manageable & (visibility == "team")),
            w.Button.from_param(self.param.make_team, css_classes=["nx-make-team"],
                                align="end", visible=manageable & (visibility == "private")),
        )
        library = pn.Column(filters, self._list, actions, self._confirm, self._history(),
                            sizing_mode="stretch_width")
        return pn.Column(self._message, self._conflict,
                         pn.Row(save_card, library, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")


RUN_METRICS = ("final_N", "mean_issuance", "mean_burn", "ledger_residual", "clamp_total",
               "clamp_events")
"""What the Scenarios page shows of each stored run: the KPI figures and the ledger."""
RUN_COLUMNS = tuple(labels.metric_label(m) for m in RUN_METRICS)


def run_figures(summary: dict[str, float]) -> dict[str, Any]:
    """A stored run's figures under the names a reader understands (RUN_COLUMNS)."""
    return {labels.metric_label(m): labels.metric_value(m, summary[m]) for m in RUN_METRICS}


def diff_markdown(diff: Any) -> str:
    """A ScenarioDiff as a Markdown list (values are user text: escaped)."""
    if diff.empty:
        return "No change to parameters, inputs or description."
    return "\n".join("- " + safe.text(line) for line in diff.lines())
