"""The reference agent's sandbox: a fixture-built calendar whose tools record every write."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Json = dict[str, Any]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b")
_PART_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
_WINDOW = re.compile(
    r"\b(morning|afternoon|evening)\b|\b(after|before)\s+(\d{1,2})(?::\d{2})?\s*(am|pm)?\b"
)


@dataclass(frozen=True)
class SlotPreference:
    """What the caller asked for: a weekday (0 = Monday) and an hour window [earliest, latest)."""

    label: str
    weekday: int | None = None
    earliest: int = 0
    latest: int = 24

    def accepts(self, slot: str) -> bool:
        """Whether an ISO slot falls on the weekday and in the window, in the slot's own zone."""
        start = datetime.fromisoformat(slot)
        on_day = self.weekday is None or start.weekday() == self.weekday
        return on_day and self.earliest <= start.hour < self.latest


def _clock_hour(hour: int, meridiem: str | None) -> int:
    # "after 2" on a scheduling line means 2 PM: bare hours below 8 are afternoon hours.
    if meridiem == "pm" or (meridiem is None and hour < 8):
        return hour % 12 + 12
    return hour % 12 if meridiem == "am" else hour


def parse_preference(text: str) -> SlotPreference | None:
    """The LAST weekday and time window the caller names ("move Tuesday's to Wednesday after 2")."""
    lowered = text.lower()
    days = _WEEKDAY.findall(lowered)
    windows = list(_WINDOW.finditer(lowered))
    if not days and not windows:
        return None
    weekday = WEEKDAYS.index(days[-1]) if days else None
    earliest, latest, words = 0, 24, []
    if days:
        words.append(days[-1].capitalize())
    if windows:
        last = windows[-1]
        words.append(last.group(0))
        if last.group(1):
            earliest, latest = _PART_OF_DAY[last.group(1)]
        else:
            hour = _clock_hour(int(last.group(3)), last.group(4))
            earliest, latest = (hour, 24) if last.group(2) == "after" else (0, hour)
    return SlotPreference(" ".join(words), weekday, earliest, latest)


def spoken_time(slot: str) -> str:
    """A slot as the agent says it: 'Wednesday, June 3 at 3:00 PM'."""
    start = datetime.fromisoformat(slot)
    meridiem = "AM" if start.hour < 12 else "PM"
    hour = start.hour % 12 or 12
    return f"{start:%A}, {start:%B} {start.day} at {hour}:{start.minute:02d} {meridiem}"


class Sandbox:
    """A calendar built from the case fixture; every tool is served here and writes are observed."""

    def __init__(self, fixture: Mapping[str, Any]) -> None:
        state = fixture.get("existing_state") or {}
        self.caller_id = str(fixture.get("caller_id") or "caller_fixture_unknown")
        appointment = fixture.get("appointment_id")
        self.appointment_id = str(appointment) if appointment else None
        self.status = str(state.get("appointment_status", "confirmed"))
        self.start = state.get("appointment_start")
        # YAML may have typed an unquoted timestamp; the sandbox speaks ISO strings only.
        self.slots = [_iso(s) for s in state.get("available_slots") or []]
        self.identity_on_file = bool(state.get("identity_on_file", True))
        self.writes: list[Json] = []
        self._created = 0
        self._tools: dict[str, Callable[[Json], Json]] = {
            "lookup_identity": self._lookup_identity,
            "list_appointments": self._list_appointments,
            "list_available_slots": self._list_available_slots,
            "update_appointment": self._update_appointment,
            "create_new_appointment": self._create_new_appointment,
            "send_confirmation": self._send_confirmation,
            "transfer_to_human": self._transfer_to_human,
        }

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def call(self, name: str, arguments: Json) -> Json:
        """Run one tool against the sandbox and return its output."""
        return self._tools[name](arguments)

    def _lookup_identity(self, args: Json) -> Json:
        return {"verified": self.identity_on_file, "caller_id": args.get("caller_id")}

    def _list_appointments(self, args: Json) -> Json:
        if self.appointment_id is None:
            return {"appointments": []}
        found = {"appointment_id": self.appointment_id, "status": self.status}
        if self.start:
            found["start"] = _iso(self.start)
        return {"appointments": [found]}

    def _list_available_slots(self, args: Json) -> Json:
        return {"slots": list(self.slots)}

    def _update_appointment(self, args: Json) -> Json:
        entity = str(args.get("appointment_id"))
        if "new_start_time" in args:
            self.status, self.start = "rescheduled", args["new_start_time"]
            data: Json = {"start": self.start}
        else:
            self.status, data = str(args.get("status", "cancelled")), {}
        self._write("calendar", "update", entity, self.status, data)
        return {"appointment_id": entity, "status": self.status, **data}

    def _create_new_appointment(self, args: Json) -> Json:
        self._created += 1
        entity = f"appt_fixture_new_{self._created}"
        self._write("calendar", "create", entity, "booked", {"start": args.get("start_time")})
        return {"appointment_id": entity, "status": "booked", "start": args.get("start_time")}

    def _send_confirmation(self, args: Json) -> Json:
        data = {"appointment_id": args.get("appointment_id"), "channel": args.get("channel")}
        self._write("notifications", "notify", str(args.get("caller_id")), "sent", data)
        return {"sent": True, "channel": args.get("channel")}

    def _transfer_to_human(self, args: Json) -> Json:
        return {"transferred": True, "to": args.get("destination")}

    def _write(self, system: str, op: str, entity: str, status: str, data: Json) -> None:
        self.writes.append(
            {"system": system, "op": op, "entity_id": entity, "status": status, "data": data}
        )


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
