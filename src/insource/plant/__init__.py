"""Plant: line balancing, mixed-model sequencing and line simulation.

Line data -> :func:`balance` (SALBP-1/-2, mixed-model) -> :func:`sequence_cars`
(car sequencing, ROADEF 2005) -> :func:`simulate_line` -> :func:`achievable_rate`,
the rate written back to the case as line capacity; :func:`plant_loop` runs the
whole loop on a case's task list. See ``docs/plant.md``.
"""

from insource.plant._balance import (
    BalanceResult,
    balance,
    check_assignment,
    greedy_balance,
    salbp1,
    salbp2,
    station_bounds,
)
from insource.plant._formats import (
    read_alb,
    read_csplib,
    read_in2,
    read_roadef,
    read_sequencing_file,
    read_task_file,
    read_task_table,
)
from insource.plant._loop import (
    CarClass,
    LineLoad,
    LineTaskList,
    LoopResult,
    car_classes,
    class_loads,
    day_instance,
    line_load,
    line_task_list,
    plant_loop,
    ratio_rules,
    with_line_rate,
)
from insource.plant._problems import CarSequencingInstance, RatioConstraint, TaskGraph
from insource.plant._rate import RateResult, achievable_rate, mix_sequence
from insource.plant._sequence import (
    Evaluation,
    SequenceResult,
    evaluate_sequence,
    greedy_sequence,
    local_search_sequence,
    restart_search,
    sequence_cars,
    solve_sequence_cpsat,
)
from insource.plant._simulate import (
    SimulationResult,
    confidence_interval,
    deterministic_departures,
    simulate_line,
)

__all__ = [
    "BalanceResult",
    "CarClass",
    "CarSequencingInstance",
    "Evaluation",
    "LineLoad",
    "LineTaskList",
    "LoopResult",
    "RateResult",
    "RatioConstraint",
    "SequenceResult",
    "SimulationResult",
    "TaskGraph",
    "achievable_rate",
    "balance",
    "car_classes",
    "check_assignment",
    "class_loads",
    "confidence_interval",
    "day_instance",
    "deterministic_departures",
    "evaluate_sequence",
    "greedy_balance",
    "greedy_sequence",
    "line_load",
    "line_task_list",
    "local_search_sequence",
    "mix_sequence",
    "plant_loop",
    "ratio_rules",
    "read_alb",
    "read_csplib",
    "read_in2",
    "read_roadef",
    "read_sequencing_file",
    "read_task_file",
    "read_task_table",
    "restart_search",
    "salbp1",
    "salbp2",
    "sequence_cars",
    "simulate_line",
    "solve_sequence_cpsat",
    "station_bounds",
    "with_line_rate",
]
