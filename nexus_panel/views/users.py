"""Users: the accounts list for admins: add one (role, password), change a role, disable
or enable an account.

Every change goes through the ScenarioStore's account methods, so it is checked there
(only admins; a crafted websocket message from anyone else is refused and audited) and
recorded in the audit trail; the view only offers it. Names are user text: rendered
through :mod:`nexus_panel.views.safe` and the table's escaping.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models import ValidationError
from nexus_panel.storage.schema import ROLES
from nexus_panel.views import safe
from nexus_panel.views.tables import Table
from nexus_panel.web import identity as identities

USER_COLUMNS = ("name", "role", "state", "created", "last sign-in")


class UsersView(Viewer):
    """List, add, change the role of, disable and enable accounts."""

    store = param.Parameter(doc="The ScenarioStore acting as the signed-in admin.")

    new_name = param.String(default="", label="User name", doc="Name of the new account.")
    new_role = param.Selector(default="viewer", objects=list(ROLES), label="Role",
                              doc="viewer: read and run; editor: also save; admin: all.")
    new_password = param.String(default="", label="Password",
                                doc="At least 12 characters, not the user name.")
    add = param.Event(label="Add account", doc="Create the account.")

    selected = param.String(default="", doc="Name of the account selected in the list.")
    role = param.Selector(default="viewer", objects=list(ROLES), label="New role",
                          doc="Role to give the selected account.")
    set_role = param.Event(label="Change role", doc="Give the selected account the role.")
    disable = param.Event(label="Disable", doc="The account can no longer sign in or write.")
    enable = param.Event(label="Enable", doc="Let a disabled account sign in again.")

    message = param.String(default="", doc="Outcome of the last action (safe Markdown).")
    message_kind = param.Selector(default="info", objects=["info", "success", "danger"])
    version = param.Integer(default=0, doc="Bumped after every change.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._list = Table(self._table(), disabled=True, selectable=1, show_index=False,
                           pagination=None, layout="fit_columns", height=260,
                           sizing_mode="stretch_width", css_classes=["nx-user-list"])
        self._list.param.watch(self._on_row, "selection")

    def _table(self) -> pd.DataFrame:
        rows = [{"name": u.name, "role": u.role,
                 "state": "disabled" if u.disabled else "active",
                 "created": f"{u.created_at:%Y-%m-%d %H:%M}",
                 "last sign-in": (f"{u.last_login_at:%Y-%m-%d %H:%M}"
                                  if u.last_login_at else "never")}
                for u in self.store.users()]
        return pd.DataFrame(rows, columns=list(USER_COLUMNS))

    def _on_row(self, event: param.parameterized.Event) -> None:
        if event.new and event.new[0] < len(self._list.value):
            row = self._list.value.iloc[event.new[0]]
            self.param.update(selected=str(row["name"]), role=str(row["role"]))

    @param.depends("version", watch=True)
    def _refresh(self) -> None:
        self._list.value = self._table()

    def _act(self, action: Any, done: str, **values: Any) -> None:
        """Run a store call; refusals and bad input become the message."""
        from nexus_panel.storage.errors import StorageError

        with param.parameterized.batch_call_watchers(self):
            try:
                action()
            except (ValidationError, StorageError, LookupError) as exc:
                self.param.update(message=safe.md("{why}", why=exc), message_kind="danger")
                return
            self.param.update(message=safe.md(done, **values), message_kind="success")
            self.version += 1

    @param.depends("add", watch=True)
    def _on_add(self) -> None:
        name, password = self.new_name.strip(), self.new_password
        self.new_password = ""  # never kept in the page longer than the call

        def action() -> None:
            self.store.add_user(name, self.new_role, password)
            self.new_name = ""
        self._act(action, "Added '{name}' ({role}).", name=name, role=self.new_role)

    def _change(self, done: str, call: Any) -> None:
        name = self.selected
        if not name:
            self.param.update(message="Select an account in the list first.",
                              message_kind="danger")
            return

        def action() -> None:
            call(name)
            identities.forget(name)
        self._act(action, done, name=name, role=self.role)

    @param.depends("set_role", watch=True)
    def _on_set_role(self) -> None:
        self._change("'{name}' is now {role}.", lambda n: self.store.set_role(n, self.role))

    @param.depends("disable", watch=True)
    def _on_disable(self) -> None:
        self._change("'{name}' is disabled.", lambda n: self.store.set_disabled(n, True))

    @param.depends("enable", watch=True)
    def _on_enable(self) -> None:
        self._change("'{name}' is enabled again.",
                     lambda n: self.store.set_disabled(n, False))

    @param.depends("message", "message_kind")
    def _message(self) -> pn.viewable.Viewable:
        if not self.message:
            return pn.Spacer(height=0)
        return pn.pane.Alert(self.message, alert_type=self.message_kind,
                             css_classes=["nx-users-message"])

    def __panel__(self) -> pn.viewable.Viewable:
        w = pn.widgets
        add_card = pn.Card(
            w.TextInput.from_param(self.param.new_name, css_classes=["nx-new-user-name"]),
            w.Select.from_param(self.param.new_role, css_classes=["nx-new-user-role"]),
            w.PasswordInput.from_param(self.param.new_password,
                                       css_classes=["nx-new-user-password"]),
            w.Button.from_param(self.param.add, color="primary", css_classes=["nx-add-user"]),
            title="Add an account", collapsible=False, width=320)
        chosen = self.param.selected.rx() == ""
        actions = pn.Row(
            w.Select.from_param(self.param.role, width=140, css_classes=["nx-user-role"]),
            w.Button.from_param(self.param.set_role, css_classes=["nx-set-role"],
                                align="end", disabled=chosen),
            w.Button.from_param(self.param.disable, color="danger", align="end",
                                css_classes=["nx-disable-user"], disabled=chosen),
            w.Button.from_param(self.param.enable, color="success", align="end",
                                css_classes=["nx-enable-user"], disabled=chosen))
        return pn.Column(self._message,
                         pn.Row(add_card, pn.Column(self._list, actions,
                                                    sizing_mode="stretch_width"),
                                sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")
