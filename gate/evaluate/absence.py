"""When a run can prove that something did not happen: completed, with agent activity."""

from __future__ import annotations

from gate.results import HarnessRun

NO_TRACE = "trace_complete is false, so the absence of a call proves nothing"


def absence_gap(run: HarnessRun, *, trace: bool = True) -> str | None:
    """Why `run` cannot prove an absence ("no forbidden tool", "at most N writes"), or None.

    A run that did not complete may have stopped before the forbidden act, and a run in which
    the agent neither spoke nor called a tool most likely never reached the agent at all: in
    both, "nothing bad happened" is the absence of evidence, not evidence of absence. `trace`:
    the check also needs the harness's word that the tool trace is complete.
    """
    if run.status != "completed":
        return f"the run ended {run.status}, so what it lacks proves nothing"
    if not run.agent_messages and not run.tool_calls:
        return "the agent never spoke and called no tool, so what the run lacks proves nothing"
    if trace and not run.trace_is_complete:
        return NO_TRACE
    return None
