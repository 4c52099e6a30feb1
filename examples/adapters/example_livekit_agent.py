"""A LiveKit Agents agent as `livekit_adapter.py --agent example_livekit_agent:SchedulingAgent`
expects one: an `Agent` subclass, constructible without arguments, whose tools the harness mocks
from the case fixture (their bodies never run in a harness run)."""

from __future__ import annotations

from typing import Any

from livekit.agents import Agent, function_tool

INSTRUCTIONS = (
    "You are the phone scheduling assistant of a clinic. Verify the caller with lookup_identity "
    "before you change anything. To move an appointment, use update_appointment on the existing "
    "one; never create a second appointment. Keep answers short: they are spoken."
)


class SchedulingAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions=INSTRUCTIONS)

    @function_tool
    async def lookup_identity(self, caller_id: str) -> dict[str, Any]:
        """Verify the caller's identity."""
        raise NotImplementedError("production calendar: mocked by the harness")

    @function_tool
    async def update_appointment(self, appointment_id: str, new_start_time: str) -> dict[str, Any]:
        """Move an existing appointment to a new start time (ISO 8601)."""
        raise NotImplementedError("production calendar: mocked by the harness")

    @function_tool
    async def create_new_appointment(self, caller_id: str, start_time: str) -> dict[str, Any]:
        """Book a new appointment."""
        raise NotImplementedError("production calendar: mocked by the harness")
