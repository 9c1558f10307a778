"""``nexus-panel tune SPEC.json [--trials N] [--study NAME] [--json]``: tuning studies
without a browser, and ``nexus-panel studies list|apply|delete``.

SPEC.json is a :class:`~nexus_panel.analysis.tuning_spec.TuningSpec` in JSON (see
``examples/tune.json``). The study lives in the database (``--database-url``, else
``DATABASE_URL``, else the local SQLite file) beside the scenario revision it tunes, so
running the same command again with the same ``--study`` adds ``--trials`` more trials to
it. ``--json`` prints the summary (``study``, ``n_trials``, ``direction``, ``best_value``,
``baseline_value``, ``best_params`` and more) as one JSON object. Exit codes: 0 done,
2 bad input, 3 no trial satisfies the constraints (the trials are kept).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nexus_panel.commands.db import add_database_option, open_store

NO_FEASIBLE_EXIT = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    text = "tune parameters with Optuna: a named study in the database, resumable"
    sub = subparsers.add_parser("tune", help=text, description=text)
    sub.add_argument("spec", metavar="SPEC.json", help="the tuning spec (JSON)")
    sub.add_argument("--trials", type=int, default=None, metavar="N",
                     help="trials to add (default: the spec's n_trials)")
    sub.add_argument("--study", default=None, metavar="NAME",
                     help="study name (default: '<scenario> / <objectives>')")
    sub.add_argument("--json", action="store_true", help="print the summary as JSON")
    sub.add_argument("--scenario", metavar="FILE",
                     help="base scenario file (replaces the spec's 'scenario')")
    sub.add_argument("--dask", metavar="ADDRESS", default=None,
                     help="run batches on this Dask scheduler (default: $NEXUS_DASK_ADDRESS, "
                          "else threads in-process)")
    add_database_option(sub)
    sub.set_defaults(func=run)
    studies = subparsers.add_parser("studies", help="tuning studies: list, apply, delete",
                                    description="Tuning studies kept in the database.")
    actions = studies.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list studies, newest first")
    listing.set_defaults(func=list_studies)
    apply = actions.add_parser("apply", help="save a trial's values as a new revision")
    apply.add_argument("study", help="study name")
    apply.add_argument("trial", help="trial number")
    apply.set_defaults(func=apply_trial)
    delete = actions.add_parser("delete", help="delete a study and its trials")
    delete.add_argument("study", help="study name")
    delete.set_defaults(func=delete_study)
    for parser in (listing, apply, delete):
        add_database_option(parser)


def _spec(args: argparse.Namespace) -> Any:
    from nexus_panel.analysis.tuning_spec import TuningSpec
    from nexus_panel.commands.analysis import read_spec_data
    from nexus_panel.models import FieldError, ValidationError

    data = read_spec_data(args)
    if args.trials is not None:
        if args.trials < 1:
            raise ValidationError([FieldError("--trials", args.trials, "at least 1")])
        data["n_trials"] = args.trials
    return TuningSpec.from_dict(data)


def default_study_name(spec: Any) -> str:
    return f"{spec.base_scenario.name} / " + " + ".join(o.metric for o in spec.objectives)


def _studies(store: Any) -> Any:
    from nexus_panel.storage import StorageError
    from nexus_panel.storage.studies import StudyStore

    try:
        return StudyStore(store)
    except StorageError:
        store.close()
        raise


def run(args: argparse.Namespace) -> int:
    from nexus_panel.analysis.executors import analysis_executor

    spec = _spec(args)
    name = args.study or default_study_name(spec)
    with open_store(args) as store, _studies(store) as studies, \
            analysis_executor(args.dask) as executor:
        outcome = studies.run(spec, name, executor=executor)
    summary = outcome.summary()
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print(_report(outcome))
    message = outcome.constraint_message()
    if message:
        print(f"nexus-panel tune: {message}", file=sys.stderr)
        return NO_FEASIBLE_EXIT
    return 0


def _report(outcome: Any) -> str:
    s = outcome.summary()
    lines = [f"study {s['study']!r}: {s['n_trials']:,} trials ({s['added']:,} added in "
             f"{outcome.seconds:.2f} s, engine {outcome.timing.engine:.2f} s), sampler "
             f"{s['sampler']}"]
    best = outcome.best()
    if best is not None:
        for objective, column in zip(outcome.spec.objectives, outcome.value_columns(),
                                     strict=True):
            lines.append(f"  {objective.metric} ({objective.resolved_direction()}): best "
                         f"{best[column]:.6g} at trial {int(best['number'])}")
        lines.append("  best parameters: " + ", ".join(
            f"{k}={v:.6g}" for k, v in s["best_params"].items()))
    if outcome.baseline:
        lines.append("  at the scenario's own values: " + ", ".join(
            "n/a" if v is None else f"{v:.6g}" for v in outcome.baseline))
    if len(outcome.directions) > 1:
        lines.append(f"  Pareto front: {s['pareto_size']} trials")
    lines += [f"  note: {n}" for n in outcome.notes]
    return "\n".join(lines)


def list_studies(args: argparse.Namespace) -> int:
    with open_store(args) as store, _studies(store) as studies:
        infos = studies.list()
    for i in infos:
        best = "" if i.best_value is None else f", best {i.best_value} (trial {i.best_trial})"
        print(f"{i.name}  [{i.scenario}@{i.revision}]  {', '.join(i.objectives)} "
              f"({', '.join(i.directions)}): {i.n_trials} trials{best}")
    if not infos:
        print("no tuning studies")
    return 0


def apply_trial(args: argparse.Namespace) -> int:

    with open_store(args) as store, _studies(store) as studies:
        record = studies.apply(args.study, args.trial)
    print(f"saved {record.label}: {record.message}")
    return 0


def delete_study(args: argparse.Namespace) -> int:

    with open_store(args) as store, _studies(store) as studies:
        studies.delete(args.study)
    print(f"deleted study {args.study!r}")
    return 0
