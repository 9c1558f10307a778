"""Bad files explain themselves: damaged CSV/Parquet run files and a bundle whose
``format_version`` is not the integer 1 are ValidationErrors naming the file (or field)
and the problem, never a raw pandas/pyarrow exception or a silently accepted value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nexus_panel import EngineParams, Scenario, simulate
from nexus_panel.engine import COLUMNS, SimulationResult
from nexus_panel.models import ValidationError
from nexus_panel.storage import transfer
from nexus_panel.views.transfer_formats import export_bytes


def current_bundle(result: SimulationResult) -> dict[str, Any]:
    """The JSON bundle the page's export writes for an unsaved run."""
    return json.loads(export_bytes(result, "json"))


@pytest.fixture(scope="module")
def good_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("csv") / "run.csv"
    transfer.write_table(simulate(Scenario(params=EngineParams(num_steps=20))), path)
    return path.read_text()


def _csv_cases(good: str) -> dict[str, tuple[bytes, str]]:
    header, first, *rest = good.splitlines()
    return {
        "empty": (b"", "No columns to parse from file"),
        "binary": (bytes(range(256)) * 4, "cannot be read: "),
        "ragged": ("\n".join([header, first + ",1,2", *rest]).encode(),
                   "Length of header or names does not match length of data"),
        "ragged_later": ("\n".join([header, first, rest[0] + ",1", *rest[1:]]).encode(),
                         "Expected 16 fields in line 3, saw 17"),
        "text": ("\n".join([header, first.replace(first.split(",")[1], "lots", 1),
                            *rest]).encode(), "cannot be read: "),
        "columns": (b"a,b\n1,2\n", "it lacks the column(s) t, N, I"),
        "no_rows": (header.encode() + b"\n", "it has no rows"),
    }


@pytest.mark.parametrize("case", ["empty", "binary", "ragged", "ragged_later", "text",
                                  "columns", "no_rows"])
def test_a_bad_csv_names_the_file_and_the_problem(case: str, good_csv: str,
                                                  tmp_path: Path) -> None:
    content, problem = _csv_cases(good_csv)[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        transfer.read_table(path)
    assert err.value.fields == ["file"]
    message = str(err.value)
    assert message.startswith("1 invalid value: file = '") and path.name in message
    assert "(allowed: a CSV run file with the numeric columns t, N, I" in message
    assert problem in message and "\n" not in message


def test_bad_parquet_files_name_the_file_and_the_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    transfer.write_table(simulate(Scenario(params=EngineParams(num_steps=20))), good)
    table = pq.read_table(good)
    strings = table.set_column(1, "N", pa.array(["x"] * table.num_rows))
    cases = {
        "garbage.parquet": b"PAR1 not really parquet",
        "truncated.parquet": good.read_bytes()[:200],
        "strings.parquet": strings,
        "missing.parquet": table.drop_columns(["E", "H"]),
        "empty.parquet": table.slice(0, 0),
    }
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            pq.write_table(content, path)
        with pytest.raises(ValidationError) as err:
            transfer.read_table(path)
        assert err.value.fields == ["file"], name
        assert path.name in str(err.value) and "(allowed: a PARQUET run file" in str(err.value)
    assert "it lacks the column(s) H, E" in _message(tmp_path / "missing.parquet")
    assert "it has no rows" in _message(tmp_path / "empty.parquet")
    for missing in (tmp_path / "none.parquet", tmp_path / "none.csv"):
        assert "No such file or directory" in _message(missing)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "Is a directory" in _message(folder)
    assert len(transfer.read_table(good)) == 21  # a good file still reads


def _message(path: Path) -> str:
    with pytest.raises(ValidationError) as err:
        transfer.read_table(path)
    return str(err.value)


@pytest.mark.parametrize("version", [True, 1.0, "1", None, [1], 2])
def test_format_version_must_be_the_integer_one(version: object) -> None:
    """``true`` and ``1.0`` compare equal to 1 in Python and were accepted."""
    bundle = current_bundle(simulate(Scenario(params=EngineParams(num_steps=5))))
    bundle["format_version"] = version
    with pytest.raises(ValidationError) as err:
        transfer.parse_import(bundle)
    assert err.value.fields == ["format_version"]
    assert "(allowed: the whole number 1)" in str(err.value)
    bundle["format_version"] = 1
    assert transfer.parse_import(bundle).kind == "bundle"


@pytest.mark.parametrize(("revision", "field"), [
    ({"number": True}, "revision.number"), ({"number": [1] * 1000}, "revision.number"),
    ({"number": 0}, "revision.number"), ({"message": "\x00"}, "revision.message"),
    ({"message": "m" * 2_000}, "revision.message"), ({"message": 5}, "revision.message"),
])
def test_a_bundles_revision_fields_are_checked(revision: dict[str, object],
                                               field: str) -> None:
    bundle = current_bundle(simulate(Scenario(params=EngineParams(num_steps=5))))
    bundle["revision"] = revision
    with pytest.raises(ValidationError) as err:
        transfer.parse_import(bundle)
    assert err.value.fields == [field]


def test_the_columns_named_in_messages_come_from_the_engine() -> None:
    assert ", ".join(COLUMNS).startswith("t, N, I")
