"""Chunked work gives the same answer here, on one Dask worker and on two."""

import numpy as np
import pytest

from insource.errors import InsourceError
from insource.risk._cluster import chunk_seeds, chunks, dask_client, map_chunks


def work(start: int, stop: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.arange(start, stop) + rng.normal(size=stop - start)


def test_chunks_cover_the_range() -> None:
    assert chunks(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert len(set(chunk_seeds(1, 100))) == 100


def test_collect_receives_each_chunk_in_place_of_the_list() -> None:
    got: list[tuple[int, int, np.ndarray]] = []
    parts = map_chunks(work, 300, 128, seed=7, collect=lambda a, b, r: got.append((a, b, r)))
    assert parts == []
    assert [(a, b) for a, b, _ in got] == [(0, 128), (128, 256), (256, 300)]
    listed = map_chunks(work, 300, 128, seed=7)
    assert all(np.array_equal(r, x) for (_, _, r), x in zip(got, listed, strict=True))


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_one_and_two_workers_give_identical_results() -> None:
    here = np.concatenate(map_chunks(work, 1000, 128, seed=42))
    with dask_client(workers=1, processes=False) as client:
        one = np.concatenate(map_chunks(work, 1000, 128, seed=42, client=client))
        client.cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
        assert len(client.scheduler_info()["workers"]) == 2
        seen: list[int] = []
        two = np.concatenate(
            map_chunks(work, 1000, 128, seed=42, client=client, progress=seen.append)
        )
        placed = np.full(1000, np.nan)

        def put(start: int, stop: int, part: np.ndarray) -> None:
            placed[start:stop] = part

        assert map_chunks(work, 1000, 128, seed=42, client=client, collect=put) == []
    assert np.array_equal(here, placed)  # put in place as they arrived, in any order
    assert np.array_equal(here, one)
    assert np.array_equal(here, two)
    assert seen == list(range(1, 9))


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_bounded_window_of_chunks_is_on_the_cluster_at_a_time() -> None:
    # one worker thread: at most max(4, 2 x 1) chunks submitted and not yet fetched
    here = np.concatenate(map_chunks(work, 2000, 50, seed=3))
    with dask_client(workers=1, processes=False) as client:
        held: list[int] = []
        got = np.concatenate(
            map_chunks(
                work,
                2000,
                50,
                seed=3,
                client=client,
                progress=lambda d: held.append(len(client.futures)),
            )
        )
    assert len(held) == 40
    assert max(held) <= 4
    assert np.array_equal(here, got)


def test_unreachable_scheduler_is_a_user_error() -> None:
    with (
        pytest.raises(InsourceError, match="cannot reach the Dask scheduler"),
        dask_client("tcp://127.0.0.1:9", timeout=1),
    ):
        pass
