"""Mixed-model sequencing: car sequencing with p/q ratio rules and paint batches.

A day's cars, grouped in classes of identical options (and colour), are put in a
sequence. Ratio rule ``p/q`` for option ``k``: at most ``p`` cars with the option in
any ``q`` consecutive cars (the option's station can only keep up with that share).
The ROADEF 2005 (Renault) variant adds paint: consecutive cars of one colour form a
batch, at most ``paint_batch_limit`` long (hard), and every colour change costs a
purge (PCC). Objectives are lexicographic, in the instance's order, scored as
``10^6 obj_1 + 10^3 obj_2 + obj_3``, where a ratio objective sums over windows the
excess ``max(0, n_w - p)`` of cars with the option (Solnon et al. 2008).

Windows: every window of ``q`` consecutive positions that holds at least one car of
day J (so windows reaching back into the fixed cars of day J-1 count). For ROADEF
instances (``partial_end=True``) the windows at the end of the day that are cut
short also count, with the same ``p`` (challenge FAQ: violations are computed "on
every rolling sequence"); for CSPLib only full windows count.

References
----------
Dincbas, M., Simonis, H., Van Hentenryck, P. (1988). Solving the car-sequencing
problem in constraint logic programming. *ECAI 88*, 290-295.
Régin, J.-C., Puget, J.-F. (1997). A filtering algorithm for global sequencing
constraints. *CP 97*, LNCS 1330, 32-46.
Solnon, C., Cung, V.D., Nguyen, A., Artigues, C. (2008). The car sequencing problem:
overview of state-of-the-art methods and industrial case-study of the ROADEF'2005
challenge problem. *EJOR* 191(3), 912-927.
Estellon, B., Gardi, F., Nouioua, K. (2008). Two local search approaches for solving
real-life car sequencing problems. *EJOR* 191(3), 928-944.

"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
from ortools.sat.python import cp_model

from insource.errors import InsourceError
from insource.plant._moves import move_search
from insource.plant._problems import CarSequencingInstance
from insource.plant._seqbounds import interaction_bound, score_lower_bound
from insource.plant._tabu import tabu_search

__all__ = [
    "Evaluation",
    "SequenceResult",
    "evaluate_sequence",
    "greedy_sequence",
    "local_search_sequence",
    "restart_search",
    "sequence_cars",
    "solve_sequence_cpsat",
]

WEIGHTS = (1_000_000, 1_000, 1)


@dataclass(frozen=True)
class Evaluation:
    """Objective parts of a sequence.

    Attributes
    ----------
    hprc, lprc
        Violations (sum of window excesses) of high- and low-priority ratio rules.
    pcc
        Paint colour changes (including the change from the last car of day J-1).
    batch_violations
        Paint batches longer than the limit (must be 0).
    score
        Weighted lexicographic objective ``sum_i 10^(3(3-i)) obj_i``.
    violated
        The violated windows: ``(option, first position, cars with option, p, q)``,
        positions 0-based within day J (negative = reaching into day J-1).

    """

    hprc: int
    lprc: int
    pcc: int
    batch_violations: int
    score: int
    violated: tuple[tuple[str, int, int, int, int], ...] = ()

    @property
    def violations(self) -> int:
        """All ratio violations (high and low priority)."""
        return self.hprc + self.lprc


def _partial_end(inst: CarSequencingInstance) -> bool:
    return bool(inst.colours)


def _weights(inst: CarSequencingInstance) -> dict[str, int]:
    """Weights ``1000^(r-1-i)`` of the ``r`` objectives present, in the instance's order."""
    present = {
        "HPRC": any(r.high_priority for r in inst.ratios),
        "LPRC": any(not r.high_priority for r in inst.ratios),
        "PCC": bool(inst.colours),
    }
    order = [o for o in inst.objective_order if present.get(o)]
    order += [o for o in ("HPRC", "LPRC", "PCC") if present[o] and o not in order]
    out = dict.fromkeys(("HPRC", "LPRC", "PCC"), 0)
    for i, o in enumerate(order):
        out[o] = 1000 ** (len(order) - 1 - i)
    return out


def _window_starts(n_prev: int, n_total: int, q: int, partial: bool) -> range:
    lo = max(0, n_prev - q + 1)
    hi = n_total - 1 if partial else n_total - q
    return range(lo, hi + 1)


def evaluate_sequence(inst: CarSequencingInstance, sequence: Sequence[int]) -> Evaluation:
    """Score a sequence of classes (one class id per car of day J).

    Raises :class:`InsourceError` if the sequence does not match the demand.
    """
    counts = [0] * inst.n_classes
    for c in sequence:
        if not 0 <= c < inst.n_classes:
            raise InsourceError(f"class {c} out of range", "")
        counts[c] += 1
    if tuple(counts) != inst.demand:
        raise InsourceError("sequence does not match the class demands", "")
    full = [*inst.previous, *sequence]
    n_prev, n_total = len(inst.previous), len(full)
    partial = _partial_end(inst)
    hprc = lprc = 0
    violated = []
    for k, r in enumerate(inst.ratios):
        flags = [inst.options[c][k] for c in full]
        for s in _window_starts(n_prev, n_total, r.q, partial):
            n_w = sum(flags[s : s + r.q])
            if n_w > r.p:
                if r.high_priority:
                    hprc += n_w - r.p
                else:
                    lprc += n_w - r.p
                violated.append((r.name, s - n_prev, n_w, r.p, r.q))
    pcc = batch = 0
    if inst.colours:
        cols = [inst.colours[c] for c in full]
        run = 1
        for i in range(1, n_total):
            if cols[i] == cols[i - 1]:
                run += 1
            else:
                run = 1
                if i >= n_prev:
                    pcc += 1
            limit = inst.paint_batch_limit
            # one count per too-long batch holding a car of day J (it may start in J-1)
            if limit and i >= n_prev and run > limit and (run == limit + 1 or i == n_prev):
                batch += 1
    w = _weights(inst)
    score = w["HPRC"] * hprc + w["LPRC"] * lprc + w["PCC"] * pcc
    return Evaluation(hprc, lprc, pcc, batch, score, tuple(violated))


@dataclass(frozen=True)
class SequenceResult:
    """A sequence of the day's cars with its score and proof status.

    ``status``: ``optimal`` (proven, e.g. zero violations or CP-SAT optimum),
    ``feasible`` (no proof) or ``infeasible`` (the hard rules cannot all be met:
    ``bound`` is then the proven lower bound on violations).
    """

    name: str
    method: str
    status: str
    sequence: tuple[int, ...]
    evaluation: Evaluation
    bound: float
    seconds: float
    car_ids: tuple[str, ...] = field(default=())

    @property
    def objective(self) -> int:
        """Weighted lexicographic score (violations for plain car sequencing)."""
        return self.evaluation.score

    def table(self) -> pd.DataFrame:
        """One row per car: position (1-based), class and original id if known."""
        df = pd.DataFrame({"position": range(1, len(self.sequence) + 1), "class": self.sequence})
        if self.car_ids:
            df["car"] = list(self.car_ids)
        df.attrs["name"] = f"sequence of {self.name}"
        return df

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        ev = self.evaluation
        return {
            "instance": self.name,
            "method": self.method,
            "status": self.status,
            "objective": ev.score,
            "bound": self.bound,
            "hprc": ev.hprc,
            "lprc": ev.lprc,
            "pcc": ev.pcc,
            "batch_violations": ev.batch_violations,
            "seconds": round(self.seconds, 3),
            "violated_windows": [
                {"option": o, "start": s + 1, "cars": nw, "p": p, "q": q}
                for o, s, nw, p, q in ev.violated[:50]
            ],
            "solution": list(self.car_ids) if self.car_ids else list(self.sequence),
        }


def _order_ids(inst: CarSequencingInstance, seq: Sequence[int]) -> tuple[str, ...]:
    if not inst.car_ids:
        return ()
    pos = [0] * inst.n_classes
    out = []
    for c in seq:
        out.append(inst.car_ids[c][pos[c]])
        pos[c] += 1
    return tuple(out)


# --- greedy ------------------------------------------------------------------------


def greedy_sequence(inst: CarSequencingInstance) -> list[int]:
    """Build a sequence car by car, choosing the class that adds the least cost.

    Cost of class ``c`` at position ``i``: the weighted ratio excess of the windows that
    end at ``i`` plus the colour change; ties go to the class whose options are the most
    in demand relative to their capacity (dynamic sum of utilisation rates, Gottlieb,
    Puchta & Solnon 2003). The paint batch limit is respected whenever another colour
    is left.
    """
    w = _weights(inst)
    n_prev, n = len(inst.previous), inst.n_cars
    full = list(inst.previous)
    remaining = list(inst.demand)
    ratios = inst.ratios
    opt_left = [
        sum(remaining[c] * inst.options[c][k] for c in range(inst.n_classes))
        for k in range(len(ratios))
    ]
    limit = inst.paint_batch_limit
    colours = inst.colours
    run = 0
    if colours and full:
        run = 1
        for i in range(len(full) - 1, 0, -1):
            if colours[full[i]] != colours[full[i - 1]]:
                break
            run += 1
    col_left: dict[int, int] = {}
    if colours:
        for c, d in enumerate(inst.demand):
            col_left[colours[c]] = col_left.get(colours[c], 0) + d
    for i in range(n_prev, n_prev + n):
        left = n_prev + n - i
        # cars with each option in the last q-1 positions
        recent = []
        for k, r in enumerate(ratios):
            lo = max(0, i - r.q + 1)
            recent.append(sum(inst.options[c][k] for c in full[lo:i]))
        best, best_key = -1, (0.0, 0.0)
        for c in range(inst.n_classes):
            if not remaining[c]:
                continue
            cost = 0.0
            util = 0.0
            for k, r in enumerate(ratios):
                if inst.options[c][k]:
                    if recent[k] + 1 > r.p:
                        cost += w["HPRC" if r.high_priority else "LPRC"]
                    util += opt_left[k] * r.q / (r.p * left)
            if colours and full:
                same = colours[c] == colours[full[-1]]
                if not same:
                    cost += w["PCC"]
                elif limit is not None and run >= limit:
                    cost = float("inf")  # hard: only if no other colour is left
            if colours and limit is not None and cost < float("inf"):
                new_run = run + 1 if full and colours[c] == colours[full[-1]] else 1
                if not _paint_feasible(col_left, colours[c], new_run, limit, left - 1):
                    cost = float("inf")
            key = (cost, -util)
            if best < 0 or key < best_key:
                best, best_key = c, key
        c = best
        if colours and full and colours[c] == colours[full[-1]]:
            run += 1
        else:
            run = 1
        full.append(c)
        remaining[c] -= 1
        if colours:
            col_left[colours[c]] -= 1
        for k in range(len(ratios)):
            opt_left[k] -= inst.options[c][k]
    return full[n_prev:]


def _paint_feasible(col_left: dict[int, int], colour: int, run: int, limit: int, rest: int) -> bool:
    """Check that the cars left after one more car of ``colour`` can meet the batch limit.

    With ``r_Y`` cars of colour ``Y`` left, ``Y`` needs ``ceil(r_Y / L)`` batches, each
    but the first preceded by a car of another colour; if the line currently ends with
    ``Y`` (run ``u``), the first ``L - u`` cars of ``Y`` may continue that batch, and
    every later batch needs a separator.
    """
    for col, r in col_left.items():
        r_y = r - (1 if col == colour else 0)
        if r_y <= 0:
            continue
        others = rest - r_y
        if col == colour:
            more = max(0, r_y - (limit - run))
            needed = -(-more // limit)
        else:
            needed = -(-r_y // limit) - 1
        if others < needed:
            return False
    return True


# --- local search --------------------------------------------------------------------


class _State:
    """Sequence with window counts, for O(q) evaluation of a swap."""

    def __init__(self, inst: CarSequencingInstance, seq: Sequence[int]) -> None:
        self.inst = inst
        self.P = len(inst.previous)
        self.full = [*inst.previous, *seq]
        self.N = len(self.full)
        partial = _partial_end(inst)
        w = _weights(inst)
        self.wr = [w["HPRC" if r.high_priority else "LPRC"] for r in inst.ratios]
        self.wp = w["PCC"] if inst.colours else 0
        self.w_last = min(v for v in w.values() if v > 0) if any(w.values()) else 1
        self.flags = [
            [inst.options[c][k] for c in range(inst.n_classes)] for k in range(len(inst.ratios))
        ]
        self.lo = []
        self.hi = []
        self.count: list[list[int]] = []
        for k, r in enumerate(inst.ratios):
            starts = _window_starts(self.P, self.N, r.q, partial)
            self.lo.append(starts.start)
            self.hi.append(starts.stop - 1)
            f = self.flags[k]
            cnt = [0] * self.N
            for s in starts:
                cnt[s] = sum(f[c] for c in self.full[s : s + r.q])
            self.count.append(cnt)
        self.colours = [inst.colours[c] for c in range(inst.n_classes)] if inst.colours else []
        self.limit = inst.paint_batch_limit

    def ratio_delta(self, a: int, b: int) -> int:
        """Change of weighted ratio excess if positions ``a < b`` (full indices) swap."""
        ca, cb = self.full[a], self.full[b]
        total = 0
        for k, r in enumerate(self.inst.ratios):
            f = self.flags[k]
            d = f[cb] - f[ca]
            if d == 0:
                continue
            cnt, p, q = self.count[k], r.p, r.q
            lo, hi = self.lo[k], self.hi[k]
            delta = 0
            # windows holding a but not b gain d; holding b but not a lose d
            for s in range(max(lo, a - q + 1), min(hi, a) + 1):
                if s + q > b:
                    continue
                old = cnt[s]
                delta += max(0, old + d - p) - max(0, old - p)
            for s in range(max(lo, b - q + 1, a + 1), min(hi, b) + 1):
                old = cnt[s]
                delta += max(0, old - d - p) - max(0, old - p)
            total += delta * self.wr[k]
        return total

    def apply_ratio(self, a: int, b: int) -> None:
        ca, cb = self.full[a], self.full[b]
        for k, r in enumerate(self.inst.ratios):
            f = self.flags[k]
            d = f[cb] - f[ca]
            if d == 0:
                continue
            cnt, q = self.count[k], r.q
            lo, hi = self.lo[k], self.hi[k]
            for s in range(max(lo, a - q + 1), min(hi, a) + 1):
                cnt[s] += d
            for s in range(max(lo, b - q + 1), min(hi, b) + 1):
                cnt[s] -= d

    def colour_cost(self, positions: Sequence[int]) -> tuple[int, bool]:
        """Colour changes on the edges next to ``positions`` and whether a batch is too long."""
        cols, full, P = self.colours, self.full, self.P
        edges = set()
        for x in positions:
            for e in (x, x + 1):
                if P <= e < self.N and e >= 1:
                    edges.add(e)
        changes = sum(1 for e in edges if cols[full[e]] != cols[full[e - 1]])
        too_long = False
        if self.limit is not None:
            for x in positions:
                col = cols[full[x]]
                i = x
                while i > 0 and cols[full[i - 1]] == col:
                    i -= 1
                j = x
                while j + 1 < self.N and cols[full[j + 1]] == col and j - i < self.limit:
                    j += 1
                if j - i + 1 > self.limit:
                    too_long = True
        return changes, too_long


def local_search_sequence(
    inst: CarSequencingInstance,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    max_moves: int | None = None,
    initial: Sequence[int] | None = None,
    temperature: float = 0.0,
) -> SequenceResult:
    """Improve a sequence by swapping cars; accept moves that do not worsen the score.

    Each swap is evaluated incrementally: only the ``q`` windows of each ratio rule
    around the two positions and the four colour edges change, so a move costs
    ``O(sum_k q_k)`` instead of a full ``O(N sum_k q_k)`` evaluation (Estellon, Gardi &
    Nouioua 2008). Half of the moves pick a car inside a violated window. Swaps that
    would create a paint batch over the limit are refused.

    Parameters
    ----------
    inst
        The day of cars.
    time_limit
        Wall-clock limit in seconds.
    seed
        Random seed; with ``max_moves`` set the result does not depend on the clock.
    max_moves
        Stop after this many move evaluations.
    initial
        Start sequence (default: :func:`greedy_sequence`).
    temperature
        Simulated annealing: also accept a worse move with probability
        ``exp(-delta / T)``, ``T`` falling linearly from ``temperature`` (in units of
        the last objective's weight) to 0 over the time limit; 0 = plain descent.

    """
    start = time.perf_counter()
    rng = random.Random(seed)
    seq = list(initial) if initial is not None else greedy_sequence(inst)
    st = _State(inst, seq)
    P, N = st.P, st.N
    n = N - P
    score = evaluate_sequence(inst, seq).score
    best_score, best_seq = score, list(seq)
    moves = 0
    deadline = start + time_limit
    has_colour = bool(st.colours)
    ratios = inst.ratios
    while n >= 2:
        moves += 1
        if max_moves is not None and moves > max_moves:
            break
        if moves & 1023 == 0 and time.perf_counter() > deadline:
            break
        if best_score == 0:
            break
        a = P + rng.randrange(n)
        if moves & 1 and ratios:
            k = rng.randrange(len(ratios))
            r = ratios[k]
            cnt = st.count[k]
            # look for an overloaded window near a random spot
            s = rng.randrange(st.lo[k], st.hi[k] + 1) if st.hi[k] >= st.lo[k] else st.lo[k]
            for _ in range(8):
                if cnt[s] > r.p:
                    break
                s = rng.randrange(st.lo[k], st.hi[k] + 1)
            if cnt[s] > r.p:
                cand = [x for x in range(max(s, P), min(s + r.q, N)) if st.flags[k][st.full[x]]]
                if cand:
                    a = rng.choice(cand)
        b = P + rng.randrange(n)
        if a == b or st.full[a] == st.full[b]:
            continue
        if a > b:
            a, b = b, a
        delta = st.ratio_delta(a, b)
        if has_colour:
            before, _ = st.colour_cost((a, b))
            st.full[a], st.full[b] = st.full[b], st.full[a]
            after, too_long = st.colour_cost((a, b))
            st.full[a], st.full[b] = st.full[b], st.full[a]
            if too_long:
                continue
            delta += st.wp * (after - before)
        accept = delta <= 0
        if not accept and temperature > 0:
            done = (
                (time.perf_counter() - start) / time_limit
                if max_moves is None
                else moves / max_moves
            )
            temp = temperature * max(0.0, 1.0 - done)
            accept = temp > 0 and rng.random() < math.exp(-delta / (temp * st.w_last))
        if accept:
            st.apply_ratio(a, b)
            st.full[a], st.full[b] = st.full[b], st.full[a]
            score += delta
            if score < best_score:
                best_score, best_seq = score, st.full[P:]
    return _heuristic_result(inst, "local search", best_seq, start)


def _heuristic_result(
    inst: CarSequencingInstance,
    method: str,
    seq: Sequence[int],
    start: float,
    bound: int = 0,
) -> SequenceResult:
    """Result of a heuristic: ``optimal`` iff the score reaches ``bound`` (a proven lower bound)."""
    ev = evaluate_sequence(inst, seq)
    return SequenceResult(
        inst.name,
        method,
        "optimal" if ev.score <= bound and ev.batch_violations == 0 else "feasible",
        tuple(seq),
        ev,
        bound,
        time.perf_counter() - start,
        _order_ids(inst, seq),
    )


# --- CP-SAT --------------------------------------------------------------------------


def solve_sequence_cpsat(
    inst: CarSequencingInstance,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    soft: bool = False,
    hint: Sequence[int] | None = None,
    redundant: bool = True,
    rule_bounds: Sequence[int] | None = None,
) -> SequenceResult:
    """Car sequencing with CP-SAT: hard ratio rules, or minimal total excess (``soft``).

    Model (positions ``i``, classes ``c``, options ``k``)::

        sum_c x[c,i] = 1,  sum_i x[c,i] = d_c        one car per slot, demand met
        o[k,i] = sum_{c has k} x[c,i]                 option indicator
        sum_{i in W} o[k,i] <= p_k (+ v[k,W])        every window W of q_k slots
        sum_{i < N - j q_k} o[k,i] >= D_k - j p_k     redundant "remaining demand" cuts

    The cuts say that the last ``j q_k`` slots hold at most ``j p_k`` cars with option
    ``k``, so the rest must come earlier (Régin & Puget 1997); they only hold for the
    hard model. ``soft`` minimises ``sum v`` (weighted by priority). Paint colours are
    not modelled (use :func:`local_search_sequence`). ``rule_bounds`` (soft model):
    proven lower bounds ``sum_W v[k,W] >= LB_k`` on each rule's total excess
    (:func:`insource.plant._seqbounds.option_excess_bound`), added as cuts so the
    solver's bound starts from them.

    Returns
    -------
    SequenceResult
        ``infeasible`` when the hard model is proven infeasible (``bound`` = 1).

    """
    start = time.perf_counter()
    # 1. Data
    n, P = inst.n_cars, len(inst.previous)
    C, K = inst.n_classes, len(inst.ratios)
    prev_flags = [[inst.options[c][k] for c in inst.previous] for k in range(K)]
    partial = _partial_end(inst)
    w = _weights(inst)

    # 2. Variables
    model = cp_model.CpModel()
    x = {
        (c, i): model.new_bool_var(f"x[{c},{i}]")
        for c in range(C)
        if inst.demand[c]
        for i in range(n)
    }
    o = [[model.new_bool_var(f"o[{k},{i}]") for i in range(n)] for k in range(K)]

    # 3. Constraints
    # 3.1 One car per slot, every class's demand met.
    for i in range(n):
        model.add_exactly_one(x[c, i] for c in range(C) if inst.demand[c])
    for c in range(C):
        if inst.demand[c]:
            model.add(sum(x[c, i] for i in range(n)) == inst.demand[c])
    # 3.2 Option indicators follow the class in the slot.
    for k in range(K):
        with_k = [c for c in range(C) if inst.demand[c] and inst.options[c][k]]
        for i in range(n):
            model.add(o[k][i] == sum(x[c, i] for c in with_k))
    # 3.3 Ratio windows (soft: excess variable v >= 0).
    excess = []
    for k, r in enumerate(inst.ratios):
        rule = []
        for s in _window_starts(P, P + n, r.q, partial):
            fixed = sum(prev_flags[k][s:P]) if s < P else 0
            slots = [o[k][i - P] for i in range(max(s, P), min(s + r.q, P + n))]
            if soft:
                v = model.new_int_var(0, r.q, f"v[{k},{s}]")
                model.add(sum(slots) + fixed - r.p <= v)
                excess.append((w["HPRC" if r.high_priority else "LPRC"], v))
                rule.append(v)
            else:
                model.add(sum(slots) + fixed <= r.p)
        if soft and rule_bounds is not None and rule_bounds[k] > 0:
            model.add(sum(rule) >= rule_bounds[k])
    # 3.4 Redundant prefix/suffix bounds (valid for the hard model only): ``r`` slots
    # hold at most ``cap(r) = p floor(r/q) + min(p, r mod q)`` cars with option ``k``, so
    # the first ``L`` slots hold between ``D_k - cap(n-L)`` and ``cap(L)`` of them, and
    # so do the last ``L`` (Régin & Puget 1997). Running-sum variables ``S_L = S_{L-1} +
    # o_L`` carry these bounds as domains.
    if redundant and not soft:
        for k, r in enumerate(inst.ratios):
            total = sum(inst.demand[c] * inst.options[c][k] for c in range(C))
            if total == 0 or total == n:
                continue
            caps = [r.p * (m // r.q) + min(r.p, m % r.q) for m in range(n + 1)]
            for direction, slots in (("fwd", o[k]), ("bwd", o[k][::-1])):
                prev = None
                for length in range(1, n):
                    lo = max(0, total - caps[n - length])
                    hi = min(length, caps[length], total)
                    run = model.new_int_var(0, length, f"S[{k},{direction},{length}]")
                    model.add(run == (slots[0] if prev is None else prev + slots[length - 1]))
                    model.add(run >= lo)  # (not as the domain: lo > hi must be infeasible,
                    model.add(run <= hi)  # not an invalid model)
                    prev = run

    # 4. Objective
    if soft:
        model.minimize(sum(wt * v for wt, v in excess))
    # Search: slot by slot, the class whose options are the hardest to place first
    # (highest sum of utilisation rates D_k q_k / (p_k N), Dincbas et al. 1988).
    util = [0.0] * C
    for k, r in enumerate(inst.ratios):
        total = sum(inst.demand[c] * inst.options[c][k] for c in range(C))
        for c in range(C):
            util[c] += inst.options[c][k] * total * r.q / (r.p * max(1, n))
    ranked = sorted((c for c in range(C) if inst.demand[c]), key=lambda c: -util[c])
    model.add_decision_strategy(
        [x[c, i] for i in range(n) for c in ranked],
        cp_model.CHOOSE_FIRST,
        cp_model.SELECT_MAX_VALUE,
    )
    if hint is not None:
        for (c, i), var in x.items():
            model.add_hint(var, int(hint[i] == c))

    # 5. Solve
    solver = cp_model.CpSolver()
    # (the time limit includes building the model)
    solver.parameters.max_time_in_seconds = max(0.01, time_limit - (time.perf_counter() - start))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    seconds = time.perf_counter() - start
    method = "cp-sat soft" if soft else "cp-sat"
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        seq = [
            next(c for c in range(C) if (c, i) in x and solver.boolean_value(x[c, i]))
            for i in range(n)
        ]
        ev = evaluate_sequence(inst, seq)
        bound = solver.best_objective_bound if soft else 0
        proven = code == cp_model.OPTIMAL and (soft or ev.score == 0)
        return SequenceResult(
            inst.name,
            method,
            "optimal" if proven else "feasible",
            tuple(seq),
            ev,
            bound,
            seconds,
            _order_ids(inst, seq),
        )
    status = "infeasible" if code == cp_model.INFEASIBLE else "unknown"
    empty = Evaluation(0, 0, 0, 0, 0)
    return SequenceResult(
        inst.name, method, status, (), empty, 1 if status == "infeasible" else 0, seconds
    )


def restart_search(
    inst: CarSequencingInstance,
    *,
    time_limit: float | None = 10.0,
    seed: int = 0,
    max_moves: int | None = None,
    first_budget: int = 500_000,
    bound: int | None = None,
) -> SequenceResult:
    """Compiled move search (:func:`insource.plant._moves.move_search`) with restarts.

    Runs of ``B_i`` moves (``B_0`` = ``first_budget``): a run that improves the best
    score is continued from its best sequence (new seed); a run that does not restarts
    from the greedy sequence with a new seed and ``B_{i+1} = 1.5 B_i``, which gets the
    search out of a deep local minimum (e.g. one excess car left on a satisfiable
    CSPLib instance).

    Parameters
    ----------
    time_limit
        Wall-clock limit in seconds (``None``: only the move budget).
    max_moves
        Total move budget over all runs; with ``time_limit=None`` the result is the
        same on any machine and under any load.
    bound
        A proven lower bound on the score: the search stops when it reaches it and
        the result is then ``optimal`` (default: the bound of
        :func:`insource.plant._seqbounds.score_lower_bound`).

    Raises
    ------
    ValueError
        If both ``time_limit`` and ``max_moves`` are ``None`` (the search would only
        end at a zero score).

    """
    if time_limit is None and max_moves is None:
        raise ValueError("restart_search needs time_limit or max_moves (or both)")
    start = time.perf_counter()
    w = _weights(inst)
    if bound is None:
        bound, _ = score_lower_bound(inst, w, partial_end=_partial_end(inst))
    wr = [w["HPRC" if r.high_priority else "LPRC"] for r in inst.ratios]
    wp = w["PCC"] if inst.colours else 0
    # shares of swap, insertion and reversal moves: more reversals without paint (a
    # small trial, 4 seeds on CSPLib 4/72, 16/81, 26/82 with 2.5 M moves: 10/12 runs
    # reach zero against 9/12 with (0.5, 0.3, 0.2)); with paint the mix measured on
    # ROADEF set A
    mix = (0.5, 0.3, 0.2) if inst.colours else (0.3, 0.3, 0.4)
    greedy = greedy_sequence(inst)
    best_seq, best = greedy, evaluate_sequence(inst, greedy).score
    current, budget, done, run = greedy, first_budget, 0, 0
    while best > bound and inst.n_cars >= 2:  # (one car: no move to make)
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            break
        step = budget if max_moves is None else min(budget, max_moves - done)
        if step <= 0:
            break
        seq, score = move_search(
            inst,
            current,
            wr,
            wp,
            time_limit=left,
            max_moves=step,
            seed=seed + run,
            mix=mix,
            partial_end=_partial_end(inst),
        )
        done += step
        run += 1
        if score < best:
            best_seq, best, current = seq, score, seq
        else:
            current, budget = greedy, int(1.5 * budget)
    return _heuristic_result(inst, "local search", best_seq, start, bound)


def sequence_cars(
    inst: CarSequencingInstance,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    method: str = "auto",
    max_moves: int | None = None,
) -> SequenceResult:
    """Sequence a day of cars: bounds, local search, then CP-SAT for a proof or a repair.

    The whole call respects ``time_limit`` (up to the last CP-SAT stage's 0.1 s floor
    and one step of a search past its clock check), bound computations included, in
    phases given as shares of it (general, not per instance). First the rule-by-rule
    and paint bound (:func:`insource.plant._seqbounds.score_lower_bound`, at most 15 %
    of the time, high-priority rules first; a rule left out counts 0). ``auto``: the
    compiled move search with restarts (:func:`restart_search`; the whole time with
    paint colours, until 80 % with cars of day J-1, else until 15 %), then the tabu
    search of :mod:`insource.plant._tabu` from the greedy start until 40 % (the two
    neighbourhoods solve different instances); a score at the bound is optimal (zero
    always is). Plain car sequencing above the bound then gets the bound on groups of
    interacting rules (:func:`insource.plant._seqbounds.interaction_bound`, until 85 %,
    stopping as soon as it meets the best score; independent of the search, so it
    runs early: it proves the five infeasible 100-car CSPLib instances), then a second
    search until 93 % (move search for half, then tabu search from the best sequence),
    stopping as soon as it meets the new bound, then the hard CP-SAT model hinted with
    the best sequence (a solution is optimal; infeasibility is a proof), then the soft
    CP-SAT model (its bound proves how far from optimal the best sequence is) in the
    rest. ``local``: the move search alone; ``tabu``: the vectorised tabu search
    (:func:`insource.plant._tabu.tabu_search`, plain car sequencing only: no paint, no
    cars of day J-1) instead of the move search, then as in ``auto``; ``cpsat``: the
    bounds and CP-SAT only.

    ``bound`` is a proven lower bound on the score: the largest of the rule and paint
    bound, the group bound, 1 when CP-SAT proves the hard model infeasible, and the
    soft CP-SAT model's bound (which starts from the rule bounds, added as cuts).
    ``status`` is ``optimal`` when the score equals the bound, ``infeasible`` for
    plain car sequencing whose hard rules are proven unsatisfiable (bound >= 1) by a
    sequence above the bound, else ``feasible``. A positive rule bound makes the hard
    CP-SAT model pointless, so it is skipped.

    ``max_moves`` replaces the local search's clock by budgets: the move search stops
    after ``max_moves`` moves and the tabu search (``auto`` and ``tabu``) after
    ``max_moves / (5 n)`` iterations (no second search), so the local search's
    sequence is the same on any machine and under any load, and so is the result when
    it is final (``local``; paint; zero violations). The bound and CP-SAT stages still
    run on the clock (the group bound for 45 % of ``time_limit``, CP-SAT for 20 %
    counted from its end: the total can exceed ``time_limit``); their repair or proof
    may depend on the load.

    Raises
    ------
    InsourceError
        For an unknown ``method``, ``tabu`` on an instance with paint or cars of day
        J-1, or demand that no sequence can meet within the paint batch limit.

    """
    start = time.perf_counter()
    deadline = start + time_limit

    def until(share: float) -> float:
        """Seconds left until ``share`` of the time limit has passed."""
        return max(0.0, start + share * time_limit - time.perf_counter())

    if method not in ("auto", "cpsat", "local", "tabu"):
        raise InsourceError(f"unknown method {method!r}", "use auto, cpsat, local or tabu")
    if method == "tabu" and (inst.colours or inst.previous):
        raise InsourceError(
            "method 'tabu' needs plain car sequencing (no paint, no day J-1 cars)",
            "use auto or local",
        )
    _check_instance(inst)
    lower, rule_bounds = score_lower_bound(
        inst, _weights(inst), partial_end=_partial_end(inst), time_limit=_BOUND_SHARE * time_limit
    )
    if method == "local" or (method == "auto" and inst.colours):
        return replace(
            restart_search(
                inst,
                time_limit=None if max_moves is not None else until(1.0),
                seed=seed,
                max_moves=max_moves,
                bound=lower,
            ),
            seconds=time.perf_counter() - start,
        )
    clock = max_moves is None
    if method == "cpsat":
        ls = local_search_sequence(inst, time_limit=0.0, max_moves=0)
    elif method == "tabu":
        ls = _tabu_result(inst, until(_FIRST_SHARE), seed, start, max_moves)
    else:
        ls = restart_search(
            inst,
            time_limit=until(0.8 if inst.previous else _MOVE_END) if clock else None,
            seed=seed,
            max_moves=max_moves,
            bound=lower,
        )
        if ls.evaluation.score > lower and not inst.previous:
            # a second neighbourhood: steepest-descent tabu search from the greedy start
            tabu = _tabu_result(inst, until(_FIRST_SHARE), seed, start, max_moves)
            if tabu.evaluation.score < ls.evaluation.score:
                ls = tabu
    if ls.evaluation.score > lower and not inst.previous:
        # options interacting: bounds on groups of rules, early (independent of the
        # search; a proven bound lets the second search stop as soon as it meets it)
        weights = _weights(inst)
        grouped = interaction_bound(
            inst,
            [weights["HPRC" if r.high_priority else "LPRC"] for r in inst.ratios],
            rule_bounds,
            time_limit=until(_GROUP_END) if clock else (_GROUP_END - _FIRST_SHARE) * time_limit,
            target=ls.evaluation.score,
        )
        lower = max(lower, grouped)
        if clock and ls.evaluation.score > lower and method != "cpsat":
            ls = _second_search(inst, ls, method, lower, seed, start, until(_SEARCH_END))
    if not clock and method != "cpsat":
        deadline = time.perf_counter() + 0.2 * time_limit
    if ls.evaluation.score <= lower:  # (the bound is reached: optimal)
        return replace(ls, status="optimal", bound=lower, seconds=time.perf_counter() - start)
    if lower == 0:
        hard = solve_sequence_cpsat(
            inst,
            time_limit=0.5 * max(0.0, deadline - time.perf_counter()),
            seed=seed,
            workers=workers,
            hint=ls.sequence,
        )
        if hard.status in ("optimal", "feasible"):
            return replace(hard, seconds=time.perf_counter() - start)
        hard_infeasible = hard.status == "infeasible"
    else:  # a rule alone cannot be met: the hard model is infeasible
        hard_infeasible = True
    soft = solve_sequence_cpsat(
        inst,
        time_limit=max(0.1, deadline - time.perf_counter()),
        seed=seed,
        workers=workers,
        soft=True,
        hint=ls.sequence,
        rule_bounds=rule_bounds,
    )
    best = soft if soft.sequence and soft.evaluation.score <= ls.evaluation.score else ls
    bound = max(soft.bound, lower, 1 if hard_infeasible else 0)
    if best.evaluation.score <= bound:
        status = "optimal"
    else:
        status = "infeasible" if hard_infeasible else "feasible"
    return replace(best, status=status, bound=bound, seconds=time.perf_counter() - start)


# shares of ``sequence_cars``' time limit (plain car sequencing): the rule bounds
# within the first 15 %, the first search until 40 % of the time has passed (move
# search to 15 %, tabu search to 40 %), the group bound until 85 %, the second search
# until 93 %, CP-SAT until the end. The satisfiable CSPLib instances are solved in
# the first search (the move search solves most, the tabu search others, e.g. 16/81);
# the group LPs that prove the infeasible 100-car ones take up to about 5 s CPU (the
# LPs of the groups tried before the proving one included).
_BOUND_SHARE = 0.15
_MOVE_END = 0.15
_FIRST_SHARE = 0.4
_GROUP_END = 0.85
_SEARCH_END = 0.93


def _second_search(
    inst: CarSequencingInstance,
    ls: SequenceResult,
    method: str,
    bound: int,
    seed: int,
    start: float,
    seconds: float,
) -> SequenceResult:
    """More search after the group bound, stopping at ``bound``.

    Half of ``seconds`` move search (``auto``), then tabu search from the best
    sequence so far.
    """
    t0 = time.perf_counter()
    if method == "auto":
        more = restart_search(inst, time_limit=seconds / 2, seed=seed + 1, bound=bound)
        if more.evaluation.score < ls.evaluation.score:
            ls = replace(more, seconds=time.perf_counter() - start)
    left = seconds - (time.perf_counter() - t0)
    if ls.evaluation.score > bound and left > 0:
        tabu = _tabu_result(inst, left, seed + 1, start, initial=ls.sequence)
        if tabu.evaluation.score < ls.evaluation.score:
            ls = tabu
    return ls


def _tabu_result(
    inst: CarSequencingInstance,
    time_limit: float,
    seed: int,
    start: float,
    max_moves: int | None = None,
    initial: Sequence[int] | None = None,
) -> SequenceResult:
    """Tabu search from the greedy start, by the clock or (``max_moves``) by a budget.

    With ``max_moves`` the clock is not read: one iteration (``8 n`` candidate swaps
    scored by array operations) is counted as ``5 n`` moves, about its cost against
    the compiled moves (measured on the 100-car CSPLib instances).
    """
    first = list(initial) if initial is not None else greedy_sequence(inst)
    if max_moves is None:
        seq, _ = tabu_search(inst, first, time_limit=time_limit, seed=seed)
    else:
        iterations = max(1, max_moves // (5 * max(1, inst.n_cars)))
        seq, _ = tabu_search(inst, first, time_limit=math.inf, seed=seed, max_iterations=iterations)
    return _heuristic_result(inst, "tabu search", seq, start)


def _check_instance(inst: CarSequencingInstance) -> None:
    """Reject demand that no sequence can satisfy within the hard paint batch limit."""
    if inst.colours and inst.paint_batch_limit:
        by_colour: dict[int, int] = {}
        for c, d in enumerate(inst.demand):
            by_colour[inst.colours[c]] = by_colour.get(inst.colours[c], 0) + d
        n = inst.n_cars
        for col, d in by_colour.items():
            others = n - d
            if d > inst.paint_batch_limit * (others + 1):
                raise InsourceError(
                    f"{inst.name}: {d} cars of colour {col} need at least "
                    f"{-(-d // inst.paint_batch_limit)} batches of <= {inst.paint_batch_limit}, "
                    f"but only {others} other cars can separate them",
                    "no sequence meets the paint batch limit; change the mix or the limit",
                )
