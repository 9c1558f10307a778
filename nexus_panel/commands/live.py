"""``nexus-panel live start|stop|pause|resume|status|list|alerts``: live runs.

``live start SCENARIO.json --name NAME --steps-per-second R [--max-steps K]`` produces the
run in the foreground until it is stopped (``live stop NAME`` from anywhere) or K steps
are done. Started again while the run is going on elsewhere, it stands by and takes over
when that producer dies (within the lease, about 7 s) -- that is how a second machine
keeps a run alive. Ctrl-C (or SIGTERM) ends this producer but not the run: another
producer, or a later ``live start``, continues from the last checkpoint.

The scenario file is a scenario JSON with an optional ``"alerts"`` list of rules
(``{"metric", "above" or "below", "clear", "min_steps", "severity"}``, see
``nexus_panel.live.alerts``) and an optional ``"webhook": {"url", "secret_env"}`` that
receives every alert that fires or resolves, HMAC-signed (``nexus_panel.live.webhook``).
"""

from __future__ import annotations

import argparse
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError, read_file
from nexus_panel.models import FieldError, ValidationError

RATE_RANGE = (1.0, 1000.0)
DEFAULT_CHECKPOINT_EVERY = 100
T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("live", help="live runs: a scenario stepped in real time",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="live_action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="start (or stand by for) a live run and "
                                             "produce it in the foreground")
    start.add_argument("scenario", type=Path, help="scenario JSON (with optional \"alerts\")")
    start.add_argument("--name", required=True, help="the live run's name")
    start.add_argument("--steps-per-second", type=float, required=True, metavar="R",
                       help=f"pace ({RATE_RANGE[0]:g} to {RATE_RANGE[1]:g})")
    start.add_argument("--max-steps", type=int, default=None, metavar="K",
                       help="stop after K steps (default and most: the scenario's num_steps)")
    start.add_argument("--checkpoint-every", type=int, default=DEFAULT_CHECKPOINT_EVERY,
                       metavar="K", help="steps between checkpoints (also every second)")
    start.set_defaults(func=_start)
    for action, help_text in (("stop", "stop a live run (for good)"),
                              ("pause", "pause a live run"), ("resume", "resume a paused run")):
        sub = actions.add_parser(action, help=help_text)
        sub.add_argument("name")
        sub.set_defaults(func=_control, control=action)
    status = actions.add_parser("status", help="a live run's step, N and state")
    status.add_argument("name")
    status.add_argument("--json", action="store_true",
                        help='print {"step", "N", "state", ...} as JSON')
    status.set_defaults(func=_status)
    listing = actions.add_parser("list", help="every live run")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    export = actions.add_parser("export", help="write a live run's history as a run file "
                                               "(.csv, .json bundle, .parquet)")
    export.add_argument("name")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.set_defaults(func=_export)
    save = actions.add_parser("save", help="store a live run's history so far as scenario "
                                           "'live NAME' with its run (Simulate, Compare)")
    save.add_argument("name")
    save.set_defaults(func=_save)
    alerts = actions.add_parser("alerts", help="a live run's alert events")
    alerts.add_argument("name")
    alerts.add_argument("--json", action="store_true",
                        help='print a list of {"rule", "state", "step", ...} as JSON')
    alerts.set_defaults(func=_alerts)
    for sub in (start, status, listing, alerts, export, save,
                *(p for a, p in actions.choices.items() if a in ("stop", "pause", "resume"))):
        add_database_option(sub)


def read_live_file(path: Path) -> tuple[Any, list[dict[str, Any]], dict[str, str] | None]:
    """The scenario, its alert rules and webhook (validated; every bad field named)."""
    from nexus_panel.live.alerts import parse_rules
    from nexus_panel.live.webhook import check_webhook
    from nexus_panel.models import Scenario, parse_json

    data = parse_json(read_file(path), source=str(path))
    if not isinstance(data, dict):
        raise ValidationError([FieldError(str(path), type(data).__name__, "a JSON object")])
    raw_rules = data.pop("alerts", [])
    raw_webhook = data.pop("webhook", None)
    errors: list[FieldError] = []
    rules: list[dict[str, Any]] = []
    try:
        rules = parse_rules(raw_rules)
    except ValidationError as exc:
        errors += exc.errors
    webhook = None
    try:
        webhook = check_webhook(raw_webhook)
    except ValidationError as exc:
        errors += exc.errors
    try:
        scenario = Scenario.from_dict(data)
    except ValidationError as exc:
        errors = exc.errors + errors
    if errors:
        raise ValidationError(errors)
    return scenario, rules, webhook


def _start(args: argparse.Namespace) -> int:
    from nexus_panel.live.producer import Producer
    from nexus_panel.storage.live_runs import LiveStore

    errors = []  # every bad flag and every bad field of the file, in one message
    if not RATE_RANGE[0] <= args.steps_per_second <= RATE_RANGE[1]:
        errors.append(FieldError("--steps-per-second", args.steps_per_second,
                                 f"{RATE_RANGE[0]:g} to {RATE_RANGE[1]:g}"))
    if not 1 <= args.checkpoint_every <= 1_000_000:
        errors.append(FieldError("--checkpoint-every", args.checkpoint_every, "1 to 1,000,000"))
    try:
        scenario, rules, webhook = read_live_file(args.scenario)
    except ValidationError as exc:
        raise ValidationError(exc.errors + errors) from None
    steps = scenario.params.num_steps
    max_steps = steps if args.max_steps is None else args.max_steps
    if not 1 <= max_steps <= steps:
        errors.append(FieldError("--max-steps", max_steps,
                                 f"1 to the scenario's num_steps ({steps:,})"))
    if errors:
        raise ValidationError(errors)
    with open_store(args) as store:
        live = LiveStore(store)
        existing = next((r for r in live.runs() if r.name == args.name.strip()), None)
        if existing is not None and existing.status in ("running", "paused"):
            if existing.scenario != scenario.to_dict() or existing.rules != rules or \
                    existing.webhook != webhook:
                raise CommandError(f"live run {args.name!r} is {existing.status} with another "
                                   "scenario or alerts; stop it first or choose another name")
            print(f"live run {args.name!r} is {existing.status}: standing by to take over",
                  flush=True)
        else:
            live.create(args.name, scenario.to_dict(), rules,
                        steps_per_second=args.steps_per_second, max_steps=max_steps,
                        checkpoint_every=args.checkpoint_every, state={}, webhook=webhook)
        producer = Producer(live, args.name.strip())
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: producer.stop.set())
        outcome = producer.run()
        info = live.get(args.name.strip())
    print(f"live run {info.name!r}: {outcome} at step {info.step:,} "
          f"(N = {info.state.get('N', float('nan')):,.4f}); this process computed "
          f"{producer.produced:,} steps", flush=True)
    return 0


def _with_live(args: argparse.Namespace, work: Callable[[Any], T]) -> T:
    """``work(LiveStore)`` on the database the command names, acting as its user."""
    from nexus_panel.storage.live_runs import LiveStore

    with open_store(args) as store:
        return work(LiveStore(store))


def _control(args: argparse.Namespace) -> int:
    info = _with_live(args, lambda live: live.control(args.name, args.control))
    print(f"live run {info.name!r}: {info.status} (at step {info.step:,})")
    return 0


def _status(args: argparse.Namespace) -> int:
    info = _with_live(args, lambda live: live.get(args.name))
    if args.json:
        print(json.dumps(info.to_dict()))
    else:
        print(f"{info.name}\t{info.status}\tstep {info.step:,}/{info.max_steps:,}\t"
              f"N = {info.state.get('N', float('nan')):,.4f}\t"
              f"producer {info.producer or '-'}")
    return 0


def _list(args: argparse.Namespace) -> int:
    runs = _with_live(args, lambda live: live.runs())
    if args.json:
        print(json.dumps([r.to_dict() for r in runs]))
    else:
        for info in runs:
            print(f"{info.name}\t{info.status}\tstep {info.step:,}/{info.max_steps:,}")
    return 0


def _alerts(args: argparse.Namespace) -> int:
    events = _with_live(args, lambda live: live.alerts(args.name))
    if args.json:
        print(json.dumps(events))
    else:
        for e in events:
            print(f"step {e['step']:,}\t{e['state']}\t{e['severity']}\t{e['rule']}\t"
                  f"{e['value']:g}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from nexus_panel.commands.run import FORMATS, write_output
    from nexus_panel.live.history import live_result
    from nexus_panel.storage.run_files import write_run_file

    fmt = FORMATS.get(args.out.suffix.lower())
    if fmt is None:
        raise CommandError(f"--out {args.out}: unknown file type; use "
                           + ", ".join(sorted(FORMATS)))
    result = _with_live(args, lambda live: live_result(live, args.name))
    write_output(args.out, lambda tmp: write_run_file(result, tmp, fmt))
    print(f"wrote {args.out} ({result.scenario.params.num_steps:,} steps of live run "
          f"{args.name!r})")
    return 0


def _save(args: argparse.Namespace) -> int:
    from nexus_panel.live.history import save_live_run

    name, number = _with_live(args, lambda live: save_live_run(live, args.name))
    print(f"saved scenario {name!r} revision {number} with the run of live run {args.name!r}")
    return 0
