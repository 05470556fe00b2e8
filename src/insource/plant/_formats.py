"""Readers for the line-balancing and car-sequencing file formats.

* Scholl (1993) ``.IN2``: ``n``, then ``n`` task times, then ``i,j`` precedence
  lines, optionally ended by ``-1,-1`` (Scholl 1993, *Data of assembly line
  balancing problems*, TH Darmstadt).
* ``.alb`` (Otto, Otto & Scholl 2013, SALBPGen): tagged sections
  ``<number of tasks>``, ``<cycle time>``, ``<task times>``, ``<precedence relations>``, ``<end>``.
* Mixed-model task table (``.csv``): columns ``task``, ``predecessors``
  (space-separated task ids) and one ``time_<model>`` column per model.
* CSPLib prob001 car sequencing: ``ncars noptions nclasses``, the ``p`` line, the
  ``q`` line, then ``class demand o_1 .. o_k`` lines; several blocks may follow each
  other separated by ``#`` comment lines (``# Problem <name>`` names the block).
* ROADEF/EURO Challenge 2005 (Renault): a folder with ``vehicles.txt``,
  ``ratios.txt``, ``paint_batch_limit.txt`` and ``optimization_objectives.txt``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

from insource.errors import InsourceError
from insource.plant._problems import CarSequencingInstance, RatioConstraint, TaskGraph
from insource.plant._tasktimes import mix_times

__all__ = [
    "read_alb",
    "read_csplib",
    "read_in2",
    "read_roadef",
    "read_sequencing_file",
    "read_task_file",
    "read_task_table",
]

#: Standard capacities of the CSPLib 100-car blocks, which carry no p and q lines.
CSPLIB_DEFAULT_P = (1, 2, 1, 2, 1)
CSPLIB_DEFAULT_Q = (2, 3, 3, 5, 5)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="latin-1").replace("\x1a", "")
    except OSError as exc:
        raise InsourceError(f"cannot read {path}: {exc.strerror}", "check the path") from exc


def _number(token: str, path: Path, line: int) -> float:
    try:
        value = float(token.replace(",", "."))
    except ValueError:
        raise InsourceError(
            f"{path}, line {line}: {token!r} is not a number", "fix the file"
        ) from None
    return value


def _as_time(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def read_in2(path: str | Path) -> TaskGraph:
    """Read a Scholl ``.IN2`` precedence graph (task times and direct precedences).

    Examples
    --------
    A file ``3 / 2 / 4 / 1 / 1,2 / 1,3 / -1,-1`` gives three tasks with times
    (2, 4, 1) and precedences (0, 1), (0, 2).

    """
    path = Path(path)
    lines = [(k + 1, s.strip()) for k, s in enumerate(_read_text(path).splitlines())]
    lines = [(k, s) for k, s in lines if s]
    if not lines:
        raise InsourceError(f"{path}: empty file", "an .IN2 file starts with the number of tasks")
    k0, head = lines[0]
    n = int(_number(head, path, k0))
    if len(lines) < n + 1:
        raise InsourceError(
            f"{path}: {n} tasks announced but only {len(lines) - 1} lines follow",
            "give one task time per line after the task count",
        )
    times = tuple(_as_time(_number(s, path, k)) for k, s in lines[1 : n + 1])
    precedences: list[tuple[int, int]] = []
    for k, s in lines[n + 1 :]:
        parts = s.split(",")
        if len(parts) != 2:
            raise InsourceError(f"{path}, line {k}: expected 'i,j', got {s!r}", "fix the file")
        i, j = (int(_number(p, path, k)) for p in parts)
        if i == -1 and j == -1:
            break
        precedences.append((i - 1, j - 1))
    graph = TaskGraph(times=times, precedences=tuple(precedences), name=path.stem)
    graph.check()
    return graph


def read_alb(path: str | Path) -> TaskGraph:
    """Read an ``.alb`` SALBP file (task times, precedences and the cycle time)."""
    path = Path(path)
    sections: dict[str, list[tuple[int, str]]] = {}
    current = ""
    for k, raw in enumerate(_read_text(path).splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("<") and s.endswith(">"):
            current = s[1:-1].strip().lower()
            sections.setdefault(current, [])
        elif current:
            sections[current].append((k, s))
    for need in ("number of tasks", "task times"):
        if need not in sections or (need == "number of tasks" and not sections[need]):
            raise InsourceError(f"{path}: no <{need}> section", "is this an .alb file?")
    k, s = sections["number of tasks"][0]
    n = int(_number(s, path, k))
    times_by_id: dict[int, float] = {}
    for k, s in sections["task times"]:
        parts = s.split()
        if len(parts) != 2:
            raise InsourceError(f"{path}, line {k}: expected 'task time', got {s!r}", "fix it")
        times_by_id[int(_number(parts[0], path, k))] = _number(parts[1], path, k)
    if sorted(times_by_id) != list(range(1, n + 1)):
        raise InsourceError(
            f"{path}: task times given for {len(times_by_id)} tasks, expected tasks 1..{n}",
            "give one time per task",
        )
    times = tuple(_as_time(times_by_id[j]) for j in range(1, n + 1))
    precedences = []
    for k, s in sections.get("precedence relations", []):
        parts = s.split(",")
        if len(parts) != 2:
            raise InsourceError(f"{path}, line {k}: expected 'i,j', got {s!r}", "fix the file")
        i, j = (int(_number(p, path, k)) for p in parts)
        precedences.append((i - 1, j - 1))
    cycle = None
    if sections.get("cycle time"):
        k, s = sections["cycle time"][0]
        cycle = _as_time(_number(s, path, k))
    graph = TaskGraph(times, tuple(precedences), name=path.stem, cycle_time=cycle)
    graph.check()
    return graph


def read_task_table(path: str | Path, mix: Mapping[str, float] | None = None) -> TaskGraph:
    """Read a mixed-model task table (CSV) and weight the model times by ``mix``.

    The weighted time of task ``j`` is ``t_j = sum_m w_m t_jm`` with ``w_m = mix_m /
    sum(mix)``; without ``mix`` all models weigh the same.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InsourceError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    if not rows:
        raise InsourceError(f"{path}: no task rows", "give a header and one row per task")
    cols = list(rows[0].keys())
    models = [c[len("time_") :] for c in cols if c.startswith("time_")]
    if "task" not in cols or not models:
        raise InsourceError(
            f"{path}: expected columns 'task', 'predecessors' and 'time_<model>'",
            "e.g. task,predecessors,time_sakura,time_dayz",
        )
    ids = [r["task"].strip() for r in rows]
    index = {t: j for j, t in enumerate(ids)}
    if len(index) != len(ids):
        raise InsourceError(f"{path}: duplicate task ids", "give every task a unique id")
    model_times: dict[str, tuple[float, ...]] = {}
    for m in models:
        vals = []
        for k, r in enumerate(rows, start=2):
            vals.append(_as_time(_number(r[f"time_{m}"] or "0", path, k)))
        model_times[m] = tuple(vals)
    precedences = []
    for k, r in enumerate(rows, start=2):
        for pred in (r.get("predecessors") or "").replace(",", " ").split():
            if pred not in index:
                raise InsourceError(
                    f"{path}, row {k}: unknown predecessor {pred!r}",
                    "use task ids from column task",
                )
            precedences.append((index[pred], index[r["task"].strip()]))
    times = mix_times(model_times, mix, f"the model mix for {path.name}")
    graph = TaskGraph(times, tuple(precedences), name=path.stem, model_times=model_times)
    graph.check()
    return graph


def read_task_file(path: str | Path, mix: Mapping[str, float] | None = None) -> TaskGraph:
    """Read a task graph by extension: ``.IN2``, ``.alb`` or ``.csv`` (mixed-model)."""
    path = Path(path)
    if not path.is_file():
        raise InsourceError(f"{path}: no such file", "give an .IN2, .alb or .csv task file")
    suffix = path.suffix.lower()
    if suffix == ".alb":
        return read_alb(path)
    if suffix == ".csv":
        return read_task_table(path, mix)
    return read_in2(path)


# --- car sequencing -----------------------------------------------------------------


def read_csplib(path: str | Path) -> list[CarSequencingInstance]:
    """Read every CSPLib prob001 block of a file (one or many instances)."""
    path = Path(path)
    blocks: list[tuple[str, list[tuple[int, list[int]]]]] = []
    name = ""
    current: list[tuple[int, list[int]]] = []
    for k, raw in enumerate(_read_text(path).splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("#"):
            m = re.match(r"#\s*Problem\s+(\S+)", s)
            if m:
                if current:
                    blocks.append((name, current))
                    current = []
                name = m.group(1)
            continue
        if not re.fullmatch(r"[-+0-9.\s]+", s):
            continue  # free-text preamble
        current.append((k, [int(_number(t, path, k)) for t in s.split()]))
    if current:
        blocks.append((name, current))
    out = []
    for b, (bname, rows) in enumerate(blocks):
        label = bname or (path.stem if len(blocks) == 1 else f"{path.stem}#{b + 1}")
        out.append(_csplib_block(label, rows, path))
    if not out:
        raise InsourceError(f"{path}: no car-sequencing instance found", "see CSPLib prob001")
    return out


def _csplib_block(
    name: str, rows: list[tuple[int, list[int]]], path: Path
) -> CarSequencingInstance:
    k0, head = rows[0]
    if len(head) != 3:
        raise InsourceError(
            f"{path}, line {k0}: header must be 'ncars noptions nclasses'", "fix the file"
        )
    ncars, nopt, ncls = head
    rest = rows[1:]
    if len(rest) >= 2 and len(rest[0][1]) == nopt and len(rest[1][1]) == nopt:
        p, q = tuple(rest[0][1]), tuple(rest[1][1])
        rest = rest[2:]
    elif nopt == len(CSPLIB_DEFAULT_P):
        p, q = CSPLIB_DEFAULT_P, CSPLIB_DEFAULT_Q
    else:
        raise InsourceError(f"{path}, block {name}: no p and q lines", "give both lines")
    if len(rest) != ncls:
        raise InsourceError(
            f"{path}, block {name}: {ncls} classes announced, {len(rest)} class lines found",
            "give one line per class",
        )
    demand, options = [], []
    for k, vals in rest:
        if len(vals) != nopt + 2:
            raise InsourceError(
                f"{path}, line {k}: class line has {len(vals) - 2} option flags, the header "
                f"declares {nopt} options",
                "unknown or missing options: give exactly one 0/1 flag per declared option",
            )
        flags = vals[2:]
        if any(f not in (0, 1) for f in flags):
            raise InsourceError(f"{path}, line {k}: option flags must be 0 or 1", "fix the file")
        demand.append(vals[1])
        options.append(tuple(flags))
    if sum(demand) != ncars:
        raise InsourceError(
            f"{path}, block {name}: class demands sum to {sum(demand)}, header says {ncars} cars",
            "fix the demands or the header",
        )
    for j, (pj, qj) in enumerate(zip(p, q, strict=True)):
        if not 0 < pj <= qj:
            raise InsourceError(f"{path}: option {j + 1} has ratio {pj}/{qj}", "need 0 < p <= q")
    ratios = tuple(RatioConstraint(f"option{j + 1}", p[j], q[j]) for j in range(nopt))
    return CarSequencingInstance(name, ratios, tuple(demand), tuple(options))


_OBJECTIVES = {
    "high_priority_level_and_easy_to_satisfy_ratio_constraints": "HPRC",
    "high_priority_level_and_difficult_to_satisfy_ratio_constraints": "HPRC",
    "paint_color_batches": "PCC",
    "low_priority_level_ratio_constraints": "LPRC",
}


def _semicolon_rows(path: Path) -> list[list[str]]:
    text = _read_text(path)
    rows = []
    for raw in text.splitlines():
        s = raw.strip()
        if s:
            parts = s.split(";")
            if parts and parts[-1] == "":
                parts = parts[:-1]
            rows.append([x.strip() for x in parts])
    return rows


def read_roadef(folder: str | Path) -> CarSequencingInstance:
    """Read a ROADEF 2005 instance folder (cars of day J-1 and day J, ratios, paint, order)."""
    folder = Path(folder)
    files = {
        f: folder / f
        for f in (
            "vehicles.txt",
            "ratios.txt",
            "paint_batch_limit.txt",
            "optimization_objectives.txt",
        )
    }
    missing = [f for f, p in files.items() if not p.is_file()]
    if missing:
        raise InsourceError(
            f"{folder}: missing {', '.join(missing)}",
            "a ROADEF 2005 instance is a folder of 4 files",
        )
    ratios = []
    for row in _semicolon_rows(files["ratios.txt"])[1:]:
        if len(row) < 3 or "/" not in row[0]:
            raise InsourceError(f"{files['ratios.txt']}: bad row {';'.join(row)!r}", "p/q;prio;id")
        p, q = (int(x) for x in row[0].split("/"))
        ratios.append(RatioConstraint(row[2], p, q, high_priority=row[1] == "1"))
    limit_rows = _semicolon_rows(files["paint_batch_limit.txt"])
    limit = int(limit_rows[-1][0])
    order = []
    for row in _semicolon_rows(files["optimization_objectives.txt"]):
        if len(row) >= 2 and row[1] in _OBJECTIVES:
            order.append(_OBJECTIVES[row[1]])
    vrows = _semicolon_rows(files["vehicles.txt"])
    header = vrows[0]
    ratio_names = {r.name for r in ratios}
    opt_cols = header[4:]
    unknown = [c for c in opt_cols if c not in ratio_names]
    if unknown:
        raise InsourceError(
            f"{files['vehicles.txt']}: unknown options {unknown} (not in ratios.txt)",
            "every option column needs a ratio constraint in ratios.txt",
        )
    col = [opt_cols.index(r.name) if r.name in opt_cols else -1 for r in ratios]
    cars = []
    for k, row in enumerate(vrows[1:], start=2):
        if len(row) != len(header):
            raise InsourceError(f"{files['vehicles.txt']}, row {k}: wrong number of fields", "")
        flags = tuple(int(row[4 + c]) if c >= 0 else 0 for c in col)
        cars.append((row[0], int(row[1]), row[2], int(row[3]), flags))
    days = sorted({c[0] for c in cars}, key=lambda d: tuple(int(x) for x in d.split()))
    day_j = days[-1]
    cars.sort(key=lambda c: c[1])
    classes: dict[tuple[int, tuple[int, ...]], int] = {}
    ids: list[list[str]] = []
    prev: list[int] = []
    for date, _rank, ident, colour, flags in cars:
        key = (colour, flags)
        if key not in classes:
            classes[key] = len(classes)
            ids.append([])
        if date == day_j:
            ids[classes[key]].append(ident)
        else:
            prev.append(classes[key])
    keys = sorted(classes, key=classes.__getitem__)
    return CarSequencingInstance(
        name=folder.name,
        ratios=tuple(ratios),
        demand=tuple(len(x) for x in ids),
        options=tuple(k[1] for k in keys),
        colours=tuple(k[0] for k in keys),
        paint_batch_limit=limit,
        objective_order=tuple(order) or ("HPRC", "PCC", "LPRC"),
        previous=tuple(prev),
        car_ids=tuple(tuple(x) for x in ids),
    )


def read_sequencing_file(
    path: str | Path, fmt: str | None = None, instance: str | None = None
) -> CarSequencingInstance:
    """Read one car-sequencing instance; ``fmt`` is ``csplib`` or ``roadef`` (guessed if None)."""
    path = Path(path)
    if not path.exists():
        raise InsourceError(
            f"{path}: no such file or folder", "give a CSPLib file or ROADEF folder"
        )
    fmt = fmt or ("roadef" if path.is_dir() else "csplib")
    if fmt == "roadef":
        return read_roadef(path)
    if fmt != "csplib":
        raise InsourceError(f"unknown format {fmt!r}", "use csplib or roadef")
    found = read_csplib(path)
    if instance is None:
        if len(found) == 1:
            return found[0]
        names = ", ".join(i.name for i in found[:5])
        raise InsourceError(
            f"{path} holds {len(found)} instances", f"choose one with --instance (e.g. {names})"
        )
    for inst in found:
        if inst.name == instance:
            return inst
    raise InsourceError(f"{path}: no instance {instance!r}", "names come from '# Problem' lines")
