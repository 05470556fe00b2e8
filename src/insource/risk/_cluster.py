"""Run chunks of sample work on one machine or a Dask cluster, reproducibly.

Work is cut into chunks of a fixed size *before* it is sent anywhere, and each
chunk gets its own seed from :class:`numpy.random.SeedSequence` spawned from the
run's seed. The results are put back together in chunk order, so the answer
depends on the seed and the chunk size, never on the number of workers or on
which worker ran which chunk. A worker lost mid-run has its chunks retried.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from insource.errors import InsourceError
from insource.risk._evaluate import default_threads

__all__ = ["chunk_seeds", "chunks", "dask_client", "map_chunks"]

T = TypeVar("T")


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of at most ``size`` covering ``range(n)``."""
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def chunk_seeds(seed: int, count: int) -> list[int]:
    """Independent integer seeds, one per chunk, from one run seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(count)]


@contextmanager
def dask_client(
    scheduler: Any = None,
    workers: int | None = None,
    timeout: float = 10.0,
    processes: bool = True,
) -> Iterator[Any]:
    """A Dask client: a local cluster of ``workers`` processes, or ``scheduler``'s.

    ``workers=None`` starts one worker per core this process may use.

    ``scheduler`` may be an address (``tcp://HOST:PORT``) or an existing
    :class:`distributed.Client`, which is used as it is and left open.
    ``processes=False`` runs the local workers as threads of this process.

    Raises
    ------
    InsourceError
        When the scheduler address cannot be reached.

    """
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InsourceError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc})",
                "check the address (tcp://HOST:PORT) and that the scheduler is running, or leave out --scheduler to use this machine",
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Dask starts worker processes with MALLOC_TRIM_THRESHOLD_=65536, which makes
    # glibc hand memory back after every block of the evaluator (2-3x slower in
    # the benchmark); the local workers keep glibc's default behaviour instead.
    # ":0": the scheduler's HTTP server on a free port (no clash with other clusters).
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**28}):
        cluster = LocalCluster(
            n_workers=workers or default_threads(),
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
            silence_logs=50,
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def map_chunks(
    fn: Callable[[int, int, int], T],
    n: int,
    chunk_size: int,
    seed: int,
    client: Any | None = None,
    progress: Callable[[int], None] | None = None,
    retries: int = 3,
    poll: float = 1.0,
    lost_after: float = 30.0,
    collect: Callable[[int, int, T], None] | None = None,
) -> list[T]:
    """Run ``fn(start, stop, chunk_seed)`` over chunks of ``range(n)``, in order.

    Without a ``client`` the chunks run here, one after the other; with a
    Dask client they run on its workers (``retries`` times again if a worker
    is lost). ``progress`` is called with the number of finished chunks.

    ``collect(start, stop, result)``, if given, receives each chunk's result
    as it arrives (in any order on a cluster) instead of the returned list,
    which is then empty: the caller can put the results in place and nothing
    is kept twice. A result fetched from the cluster is released there at once.

    Raises
    ------
    InsourceError
        When the scheduler goes away, or no worker is left for ``lost_after``
        seconds, or a chunk keeps killing its workers.

    """
    ranges = chunks(n, chunk_size)
    seeds = chunk_seeds(seed, len(ranges))
    if client is None:
        out = []
        for i, ((start, stop), s) in enumerate(zip(ranges, seeds, strict=True)):
            part = fn(start, stop, s)
            if collect is None:
                out.append(part)
            else:
                collect(start, stop, part)
            del part
            if progress:
                progress(i + 1)
        return out
    from concurrent.futures import CancelledError

    from distributed import KilledWorker, wait

    # at most `window` chunks are on the cluster at a time: each task carries its
    # own pickled copy of `fn` (with the policies' arrays), and a graph of every
    # chunk at once held hundreds of MB in this process at 10 million samples
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    window = max(4, 2 * threads)
    todo = list(range(len(ranges)))[::-1]  # popped in chunk order
    index: dict[str, int] = {}

    def submit() -> Any:
        i = todo.pop()
        f = client.submit(fn, *ranges[i], seeds[i], retries=retries, pure=False)
        index[f.key] = i
        return f

    results: list[Any] = [None] * len(ranges) if collect is None else []
    pending = {submit() for _ in range(min(window, len(todo)))}
    done_count = 0
    alone_since: float | None = None
    try:
        while pending:
            try:
                finished, pending = wait(pending, timeout=poll, return_when="FIRST_COMPLETED")
            except TimeoutError:
                finished = set()
            for future in finished:
                i = index.pop(future.key)
                if collect is None:
                    results[i] = future.result()
                else:
                    collect(*ranges[i], future.result())
                done_count += 1
                if progress:
                    progress(done_count)
            got_some = bool(finished)
            finished = set()  # drop the fetched futures (their results are released)
            pending = set(pending)
            while todo and len(pending) < window:
                pending.add(submit())
            if not pending:
                break
            if client.status in ("closing", "closed"):
                raise OSError("the client lost its scheduler")
            if got_some or client.scheduler_info().get("workers"):
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > lost_after:
                raise OSError(f"no worker left for {lost_after:.0f} s")
    except (OSError, TimeoutError, CancelledError, KilledWorker) as exc:
        with contextlib.suppress(Exception):  # best effort: the cluster may be gone
            client.cancel(list(pending))
        raise InsourceError(
            f"the Dask cluster went away during the run ({type(exc).__name__}: {exc})",
            "check the scheduler and workers, then run again (results do not depend on the workers used)",
        ) from None
    return results
