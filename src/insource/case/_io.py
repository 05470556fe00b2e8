"""Read and write cases as a folder of CSV files or as an Excel workbook.

A folder holds ``case.toml`` plus one CSV per table; a workbook holds one
sheet per table and a ``case`` sheet for the metadata.

Both formats load into the same :class:`~insource.case.Case` and save back
without loss. Writing goes to a temporary file or folder first and is moved
into place at the end, so a failed write leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from insource.case._case import Case
from insource.case._convert import cell_text, format_cell
from insource.case._schema import PROVENANCE_COLUMNS, schema
from insource.case._tables import RawTable, _fy_start_of, build_table, suggest
from insource.case._validate import check_case
from insource.errors import InsourceError, Problem, ProblemsError

__all__ = [
    "builtin_cases",
    "case_from_tables",
    "load_case",
    "read_case",
    "resolve_case",
    "save_case",
]

META_KEYS = ("name", "title", "description", "format")
FORMAT_VERSION = 1


def builtin_cases() -> list[str]:
    """Names of the built-in cases."""
    root = files("insource.cases")
    return sorted(
        e.name for e in root.iterdir() if e.is_dir() and e.joinpath("case.toml").is_file()
    )


def resolve_case(spec: str | os.PathLike[str]) -> Path:
    """Path of a case given as a built-in name, a folder or an ``.xlsx`` file."""
    path = Path(spec)
    if path.suffix.lower() == ".xlsx" or path.is_dir() or path.exists():
        if not path.exists():
            raise InsourceError(f"no such file: {path}", "check the path of the workbook")
        return path
    name = str(spec)
    if name in builtin_cases():
        with as_file(files("insource.cases").joinpath(name)) as p:
            return Path(p)
    known = builtin_cases()
    raise InsourceError(
        f"{name!r} is neither a built-in case, a case folder nor an .xlsx file{suggest(name, known)}",
        f"built-in cases: {', '.join(known)}; or give the path of a folder with case.toml or of a workbook",
    )


# ---- reading ---------------------------------------------------------------


def _meta_from_toml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    toml_path = path / "case.toml"
    if not toml_path.is_file():
        problems.append(
            Problem(
                "case.toml is missing",
                "add a case.toml with a [case] table (name, title, description)",
                file=str(toml_path),
            )
        )
        return {}
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(
            Problem(
                f"case.toml is not valid TOML: {exc}",
                "fix the syntax (see docs/case-format.md)",
                file="case.toml",
            )
        )
        return {}
    meta = data.get("case")
    if not isinstance(meta, dict):
        problems.append(
            Problem(
                "case.toml has no [case] table",
                "add [case] with name, title and description",
                file="case.toml",
            )
        )
        return {}
    return _check_meta(meta, "case.toml", problems)


def _check_meta(meta: dict[str, Any], location: str, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key not in META_KEYS:
            problems.append(
                Problem(
                    f"unknown key {key!r}{suggest(key, META_KEYS)}",
                    f"use only {', '.join(META_KEYS)}",
                    file=location,
                )
            )
        elif key == "format":
            version = value if isinstance(value, int) and not isinstance(value, bool) else -1
            if isinstance(value, str) and value.strip().isdigit():
                version = int(value)
            if version != FORMAT_VERSION:
                problems.append(
                    Problem(
                        f"format {value!r} is not supported",
                        f"write format = {FORMAT_VERSION}",
                        file=location,
                    )
                )
            out[key] = FORMAT_VERSION
        else:
            out[key] = str(value)
    if not out.get("name"):
        problems.append(
            Problem("the case has no name", "set name in the case metadata", file=location)
        )
    return out


def _read_csv(path: Path, table: str, location: str, problems: list[Problem]) -> RawTable | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                "save it as CSV UTF-8",
                file=location,
            )
        )
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(
            Problem(
                f"the file is not valid CSV: {exc}",
                "check quotes and separators (comma-separated)",
                file=location,
            )
        )
        return None
    if not rows:
        problems.append(
            Problem(
                "the file is empty",
                "write a header row with the column names, or delete the file",
                file=location,
            )
        )
        return None
    raw = RawTable(table, location, [cell_text(c) for c in rows[0]])
    for i, cells in enumerate(rows[1:], start=2):
        texts = [cell_text(c) for c in cells]
        if any(texts):
            raw.rows.append((i, texts))
    return raw


def _build_all(raws: list[RawTable], meta: dict[str, Any], problems: list[Problem]) -> Case:
    built: dict[str, pd.DataFrame] = {}
    by_name = {r.name: r for r in raws}
    fy_start = 4
    if "finance" in by_name:
        frame, probs = build_table(by_name["finance"])
        built["finance"] = frame
        problems += probs
        fy_start = _fy_start_of(frame)
    for raw in raws:
        if raw.name == "finance":
            continue
        frame, probs = build_table(raw, fy_start)
        built[raw.name] = frame
        problems += probs
    locations = {r.name: r.location for r in raws}
    return Case(built, meta, locations)


def _read_folder(path: Path) -> tuple[Case, list[Problem]]:
    problems: list[Problem] = []
    meta = _meta_from_toml(path, problems)
    tables = schema()
    raws = []
    for file in sorted(path.iterdir()):
        if file.name == "case.toml" or file.name.startswith((".", "~$")) or file.is_dir():
            continue
        if file.suffix.lower() != ".csv":
            continue  # notes, spreadsheets and the like may sit beside the tables
        if file.suffix.lower() != ".csv" or file.stem not in tables:
            problems.append(
                Problem(
                    f"unknown file {file.name!r}{suggest(file.stem, list(tables))}",
                    f"name each table file after its table ({', '.join(tables)}).csv, or move the file out of the case folder",
                    file=file.name,
                )
            )
            continue
        raw = _read_csv(file, file.stem, file.name, problems)
        if raw is not None:
            raws.append(raw)
    return _build_all(raws, meta, problems), problems


def _read_workbook(path: Path) -> tuple[Case, list[Problem]]:
    from openpyxl import load_workbook

    problems: list[Problem] = []
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InsourceError(
            f"{path} is not a readable Excel workbook ({exc})",
            "save it as .xlsx from Excel or with `insource export`",
        ) from None
    tables = schema()
    raws: list[RawTable] = []
    meta: dict[str, Any] = {}
    try:
        for ws in wb.worksheets:
            location = f"{path.name}[{ws.title}]"
            ws.reset_dimensions()  # some writers store a wrong <dimension>; read every cell
            rows = [[cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
            if ws.title == "case":
                meta_raw = {r[0]: (r[1] if len(r) > 1 else "") for r in rows[1:] if r and r[0]}
                meta = _check_meta(meta_raw, location, problems)
                continue
            if ws.title not in tables:
                problems.append(
                    Problem(
                        f"unknown sheet {ws.title!r}{suggest(ws.title, list(tables))}",
                        f"name each sheet after its table ({', '.join(tables)}) or remove it",
                        file=location,
                    )
                )
                continue
            first = next((i for i, r in enumerate(rows) if any(r)), None)
            if first is None:
                continue
            header = list(rows[first])
            while header and not header[-1]:
                header.pop()
            raw = RawTable(ws.title, location, header, header_row=first + 1)
            for i, cells in enumerate(rows[first + 1 :], start=first + 2):
                if any(cells):
                    raw.rows.append((i, cells))
            raws.append(raw)
    finally:
        wb.close()
    if "case" not in wb.sheetnames:
        problems.append(
            Problem(
                "the workbook has no 'case' sheet",
                "add a sheet 'case' with rows key,value for name, title, description",
                file=path.name,
            )
        )
    return _build_all(raws, meta, problems), problems


def case_from_tables(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> Case:
    """Build a validated case from plain DataFrames, one per table.

    Cells go through the same conversion and checks as files do (a frame is
    read as if it were ``<table>.csv``), so importers and generators get typed
    tables and the usual problem list instead of writing CSV files by hand.

    Raises
    ------
    ProblemsError
        With every problem found.

    """
    problems: list[Problem] = []
    known = schema()
    raws = []
    for name, frame in tables.items():
        if name not in known:
            problems.append(
                Problem(
                    f"unknown table {name!r}{suggest(name, list(known))}",
                    f"use one of {', '.join(known)}",
                )
            )
            continue
        raw = RawTable(name, f"{name}.csv", [str(c) for c in frame.columns])
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            raw.rows.append((i, [cell_text(v) for v in row]))
        raws.append(raw)
    case = _build_all(raws, _check_meta(dict(meta), "case.toml", problems), problems)
    problems += check_case(case)
    if problems:
        raise ProblemsError(problems, title=f"the case {meta.get('name', '')!r} is not valid")
    return case


def read_case(spec: str | os.PathLike[str]) -> tuple[Case, list[Problem]]:
    """Read a case and return it with every problem found (file, row, column).

    The case is returned even when there are problems (bad cells are missing
    values), so that all problems can be listed at once.
    """
    path = resolve_case(spec)
    if path.is_file() and path.suffix.lower() != ".xlsx":
        raise InsourceError(
            f"{path} is not a case", "give a case folder (with case.toml) or an .xlsx workbook"
        )
    case, problems = _read_workbook(path) if path.is_file() else _read_folder(path)
    problems = problems + check_case(case)
    problems.sort(key=lambda p: (p.file or "", p.row or 0))
    return case, problems


def load_case(spec: str | os.PathLike[str]) -> Case:
    """Load and validate a case: a built-in name, a folder or an ``.xlsx`` file.

    Raises
    ------
    ProblemsError
        With every problem found, each naming its file, row and column.

    Examples
    --------
    >>> case = load_case("nissan-kei-ev")
    >>> case.finance["currency"]
    'JPY'

    """
    case, problems = read_case(spec)
    if problems:
        raise ProblemsError(problems, title=f"the case {str(spec)!r} is not valid")
    return case


# ---- writing ---------------------------------------------------------------


def _columns(case: Case, name: str) -> list[str]:
    frame = case.tables[name]
    table = schema()[name]
    extra = [c for c in frame.columns if c not in table.attributes and c not in PROVENANCE_COLUMNS]
    prov = [c for c in PROVENANCE_COLUMNS if c in frame.columns]
    return [*table.columns, *prov, *extra]


def _nonempty(case: Case) -> Iterable[str]:
    return [n for n in schema() if not case.tables[n].empty]


def _write_folder(case: Case, target: Path) -> None:
    target.mkdir(parents=True)
    meta = {k: case.meta[k] for k in META_KEYS if k in case.meta}
    meta["format"] = FORMAT_VERSION
    (target / "case.toml").write_text(tomli_w.dumps({"case": meta}), encoding="utf-8")
    for name in _nonempty(case):
        frame = case.tables[name]
        cols = _columns(case, name)
        with (target / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(cols)
            for row in frame[cols].itertuples(index=False, name=None):
                writer.writerow([format_cell(v) for v in row])


def _excel_value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _write_workbook(case: Case, target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "case"
    ws.append(["key", "value"])
    meta = {k: case.meta[k] for k in META_KEYS if k in case.meta}
    meta["format"] = FORMAT_VERSION
    for k, v in meta.items():
        ws.append([k, v])
        if isinstance(v, str):
            ws.cell(row=ws.max_row, column=2).data_type = "s"
    for name in _nonempty(case):
        sheet = wb.create_sheet(name)
        cols = _columns(case, name)
        sheet.append(cols)
        types = schema()[name].attributes
        for row in case.tables[name][cols].itertuples(index=False, name=None):
            cells = []
            for col, v in zip(cols, row, strict=True):
                v = _excel_value(v)
                attr = types.get(col)
                # Text columns stay text so that Excel does not turn 2028-04 into a date;
                # a float Excel cannot hold exactly (it keeps 16 digits) is written as text.
                if isinstance(v, str) or attr is None or attr.type not in ("float", "int", "bool"):
                    v = None if v is None else str(v)
                elif isinstance(v, float) and float(f"{v:.16g}") != v:
                    v = format_cell(v)
                cells.append(v)
            sheet.append(cells)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
    for sheet in wb.worksheets:
        sheet.freeze_panes = "A2"
        attrs = schema()[sheet.title].attributes if sheet.title in schema() else {}
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            attr = attrs.get(str(cell.value))
            if attr is not None:  # the schema's own words, shown when the header is hovered
                unit = f" [{attr.unit}]" if attr.unit else ""
                need = (
                    "required"
                    if attr.required
                    else f"default {attr.default}"
                    if attr.default
                    else "optional"
                )
                cell.comment = Comment(
                    f"{attr.type}{unit}, {need}\n{attr.description}",
                    "insource",
                    width=320,
                    height=120,
                )
        for column in sheet.columns:
            width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
            for c in column[1:]:
                if isinstance(c.value, str):
                    c.number_format = "@"
    wb.save(target)


def save_case(case: Case, target: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write a case as a folder or, for a path ending in ``.xlsx``, a workbook.

    The case is written to a temporary sibling and moved into place, so an
    error leaves no partial output. An existing target is an error unless
    ``overwrite``.
    """
    path = Path(target)
    if path.exists() and not overwrite and (path.is_file() or any(path.iterdir())):
        raise InsourceError(
            f"{path} already exists", "choose another path, or pass --force to replace it"
        )
    if path.is_dir() and any(path.iterdir()):
        here = Path.cwd().resolve()
        if path.resolve() in (here, *here.parents):
            raise InsourceError(
                f"{path} is the current folder or one above it", "write the case to a new folder"
            )
        if not (path / "case.toml").is_file():
            raise InsourceError(
                f"{path} is not empty and holds no case",
                "choose a new or empty folder (--force replaces only a case folder)",
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        if path.suffix.lower() == ".xlsx":
            tmp = tmp_dir / path.name
            _write_workbook(case, tmp)
            os.replace(tmp, path)
        else:
            tmp = tmp_dir / "case"
            _write_folder(case, tmp)
            if path.exists():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path
