"""Background: one job in a forked process beside the caller; its answer, failure or death."""

from __future__ import annotations

import multiprocessing.process
import os
import signal
import threading
import time

import pytest

from gate.load.parallel import Background, map_in_workers, map_shared


def _pid_and_size(item: tuple[threading.Lock, list[int]]) -> tuple[int, int]:
    return os.getpid(), len(item[1])


def test_the_job_runs_in_another_process_and_its_item_is_never_pickled() -> None:
    item = (threading.Lock(), list(range(1000)))  # a lock cannot be pickled: the fork carries it
    job = Background(_pid_and_size, item)
    pid, size = job.result()
    assert pid != os.getpid() and size == 1000
    assert job.result() == (pid, size)  # asked again: the same answer, no second wait


def _fails(_: object) -> None:
    raise ValueError("a bug in the job")


def test_the_jobs_exception_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="a bug in the job"):
        Background(_fails, None).result()


def _dies(_: object) -> None:
    os._exit(9)  # killed or out of memory: no answer at all


def test_a_child_that_dies_without_an_answer_is_a_child_process_error() -> None:
    with pytest.raises(ChildProcessError, match="ended without a result"):
        Background(_dies, None).result()


def _sleeps(_: object) -> None:
    time.sleep(30)


def test_cancel_stops_a_running_job_at_once() -> None:
    job = Background(_sleeps, None)
    started = time.monotonic()
    job.cancel()
    assert job.cancelled and time.monotonic() - started < 5


def test_now_computes_on_the_spot() -> None:
    pid, _ = Background(_pid_and_size, (threading.Lock(), []), now=True).result()
    assert pid == os.getpid()


def _slow_answer(_: object) -> str:
    time.sleep(1.0)
    return "answered"


def test_the_child_ignores_ctrl_c_and_dies_quietly_on_sigterm(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C reaches the whole process group: the run answers it, the child keeps computing.
    A SIGTERM ends the child without a traceback (its stderr is not the gate's masked stream)."""
    job = Background(_slow_answer, None)
    time.sleep(0.2)
    os.kill(job._process.pid, signal.SIGINT)  # type: ignore[union-attr]  # noqa: SLF001
    assert job.result() == "answered"
    job = Background(_slow_answer, None)
    time.sleep(0.2)
    os.kill(job._process.pid, signal.SIGTERM)  # type: ignore[union-attr]  # noqa: SLF001
    with pytest.raises(ChildProcessError):
        job.result()
    assert "Traceback" not in capfd.readouterr().err


def test_when_no_process_can_be_started_the_job_runs_on_the_spot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    pid, size = Background(_pid_and_size, (threading.Lock(), [1, 2])).result()
    assert pid == os.getpid() and size == 2


def _double(item: int) -> int:
    return 2 * item


def test_when_no_worker_can_be_started_the_map_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    assert map_in_workers(_double, list(range(500))) == [2 * i for i in range(500)]


def _pid_and_number(item: tuple[threading.Lock, int]) -> tuple[int, int]:
    return os.getpid(), item[1]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: nothing to share")
def test_map_shared_keeps_the_order_and_its_items_are_never_pickled() -> None:
    items = [(threading.Lock(), i) for i in range(7)]  # a lock cannot be pickled: forked
    results = map_shared(_pid_and_number, items)
    assert [number for _, number in results] == list(range(7))
    pids = {pid for pid, _ in results}
    assert os.getpid() in pids and len(pids) >= 2  # this process took a share, a child another


def test_map_shared_raises_a_share_s_exception_here() -> None:
    with pytest.raises(ValueError, match="a bug in the job"):
        map_shared(_fails, [None, None, None])


def test_map_shared_serially_is_map() -> None:
    assert map_shared(_double, [1, 2, 3], parallel=False) == [2, 4, 6]
    assert map_shared(_double, []) == []
