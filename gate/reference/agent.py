"""A deterministic scripted scheduling agent with switchable planted regressions; no IO."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gate import __version__
from gate.reference.asr import recognise
from gate.reference.eventlog import EventLog, digest
from gate.reference.sandbox import Json, Sandbox, SlotPreference, parse_preference, spoken_time
from gate.results import PROTOCOL

AGENT_NAME = "reference-scheduler"
HANDOFF_TO = "human_scheduler"

# First match wins: asking for a person overrides everything else said in the same turn.
_INTENTS = (
    ("handoff", re.compile(r"\b(human|agent|representative|person)\b")),
    ("cancel", re.compile(r"\bcancel")),
    ("reschedule", re.compile(r"\b(reschedul\w*|move|moving|change|changing)\b")),
    ("book", re.compile(r"\b(book|booking|schedule|new appointment)\b")),
)


def detect_intents(text: str) -> list[str]:
    """Every intent the text mentions, in priority order (keywords, so fully deterministic)."""
    lowered = text.lower()
    return [name for name, pattern in _INTENTS if pattern.search(lowered)]


class _Call(EventLog):
    """One scripted call: the caller's turns in, an ordered event log and observed writes out."""

    def __init__(self, request: Mapping[str, Any], bugs: frozenset[str]) -> None:
        super().__init__(Sandbox(request.get("fixture") or {}), bugs, request)
        self.identity_done = self.identity_failed = False
        self.listed = self.completed = self.handed_off = False
        self.pending: str | None = None
        self.intent: str | None = None

    # --- conversation ----------------------------------------------------------------------

    def respond(self, text: str) -> str:
        intents = detect_intents(text)
        intent = intents[0] if intents else self.pending
        if intent is None:
            if self.completed:
                return "You're welcome. Have a great day!"
            return "I can help you book, move or cancel an appointment. What would you like to do?"
        said = self.verify_identity()
        if intent == "handoff":
            goal = intents[1] if len(intents) > 1 else self.pending or self.intent
            return said + self.handoff(goal, "the caller asked for a person")
        self.intent = intent
        if self.identity_failed:
            return said + self.handoff(intent, "identity could not be verified")
        if intent == "cancel":
            return said + self.cancel()
        return said + self.move_or_book(intent, parse_preference(text))

    def verify_identity(self) -> str:
        # The bug under test: touching the calendar before the caller is verified.
        if self.identity_done or "skip-identity" in self.bugs:
            return ""
        self.identity_done = True
        found = self.tool("lookup_identity", {"caller_id": self.sandbox.caller_id})
        if not found["verified"]:
            self.identity_failed = True
            return "I couldn't verify your identity. "
        if "early-confirmation" in self.bugs and self.sandbox.appointment_id is not None:
            self.confirm(self.sandbox.appointment_id)
        if "policy-leak" in self.bugs:
            return f"Thanks, I've verified your identity on account {self.sandbox.caller_id}. "
        return "Thanks, I've verified your identity. "

    def list_appointments(self) -> str:
        if self.listed or self.sandbox.appointment_id is None:
            return ""
        self.listed = True
        found = self.tool("list_appointments", {"caller_id": self.sandbox.caller_id})
        start = found["appointments"][0].get("start")
        return (
            f"I see your appointment on {spoken_time(start)}. "
            if start
            else ("I see your upcoming appointment. ")
        )

    def cancel(self) -> str:
        said = self.list_appointments()
        appointment = self.sandbox.appointment_id
        if appointment is None:
            return said + "I couldn't find an appointment to cancel."
        self.tool("update_appointment", {"appointment_id": appointment, "status": "cancelled"})
        self.confirm(appointment)
        self.completed, self.pending = True, None
        return said + "Your appointment is cancelled, and I've sent you a confirmation."

    def move_or_book(self, intent: str, wanted: SlotPreference | None) -> str:
        said = self.list_appointments() if intent == "reschedule" else ""
        if intent == "reschedule" and self.sandbox.appointment_id is None:
            return "I couldn't find an appointment to move. Would you like to book a new one?"
        if wanted is None:
            self.pending = intent
            return said + "What day and time would work for you?"
        query: Json = {"preferred_day": wanted.label}
        if self.sandbox.appointment_id is not None:
            query = {"appointment_id": self.sandbox.appointment_id, **query}
        slots = self.tool("list_available_slots", query)["slots"]
        if intent == "reschedule" and "unplanned-handoff" in self.bugs:
            return said + self.handoff(intent, "the agent gave up mid-reschedule")
        slot = self.choose(slots, wanted)
        if slot is None:
            self.pending = intent
            return said + (
                f"I'm sorry, I don't have any openings on {wanted.label}. "
                "Is there another day that works?"
            )
        self.completed, self.pending = True, None
        if "slot-recheck" in self.bugs:
            self.tool("list_appointments", {"caller_id": self.sandbox.caller_id})
        return said + self.write_slot(intent, slot)

    def choose(self, slots: list[str], wanted: SlotPreference) -> str | None:
        match = next((s for s in slots if wanted.accepts(s)), None)
        if "wrong-slot" not in self.bugs:
            return match
        # The bug: any other open slot, else the right time on the wrong day.
        other = next((s for s in slots if s != match), None)
        if other is not None or match is None:
            return other
        return (datetime.fromisoformat(match) + timedelta(days=1)).isoformat()

    def write_slot(self, intent: str, slot: str) -> str:
        caller, appointment = self.sandbox.caller_id, self.sandbox.appointment_id
        when = spoken_time(slot)
        if intent == "book" or "duplicate-booking" in self.bugs or appointment is None:
            created = self.tool("create_new_appointment", {"caller_id": caller, "start_time": slot})
            self.confirm(created["appointment_id"])
            if intent == "book":
                return f"You're booked for {when}. I've sent you a confirmation."
            return f"I created a new appointment for you on {when}. I've sent you a confirmation."
        self.tool("update_appointment", {"appointment_id": appointment, "new_start_time": slot})
        self.confirm(appointment)
        if "policy-leak" in self.bugs:
            return (
                f"You're all set: I created a new appointment for you on {when} under account "
                f"{caller}. I've sent you a confirmation."
            )
        return f"You're all set: your appointment is now on {when}. I've sent you a confirmation."

    def confirm(self, appointment: str) -> None:
        caller = self.sandbox.caller_id
        args = {"caller_id": caller, "appointment_id": appointment, "channel": "sms"}
        if "confirmation-error" in self.bugs:
            failed = {"sent": False, "channel": "sms", "error": "sms gateway timed out"}
            self.tool("send_confirmation", args, failed)
            return
        self.tool("send_confirmation", args)

    def handoff(self, goal: str | None, reason: str) -> str:
        verified = self.identity_done and not self.identity_failed
        summary = (
            f"Caller {self.sandbox.caller_id} ({'' if verified else 'not '}verified)"
            f" wants to {goal or 'get help with'} an appointment"
            f" ({self.sandbox.appointment_id or 'none on file'}); {reason}."
            f' Caller said: "{self.last_text}"'
        )
        if "bad-handoff-summary" in self.bugs:
            summary = "Caller transferred."
        self.tool("transfer_to_human", {"destination": HANDOFF_TO, "summary": summary})
        t_ms = self.events[-1]["t_ms"]
        self.events.append(
            {
                "type": "handoff",
                "turn": self.turn,
                "t_ms": t_ms,
                "to": HANDOFF_TO,
                "summary": summary,
            }
        )
        self.handed_off = True
        return "I'm connecting you with a scheduler now; they'll have the details of your request."


def caller_turns(scenario: Mapping[str, Any]) -> list[Json]:
    """The protocol's `scenario.turns` as objects; a bare `starting_turn` is accepted too."""
    turns = scenario.get("turns") or (
        [scenario["starting_turn"]] if scenario.get("starting_turn") else []
    )
    return [{"text": t} if isinstance(t, str) else dict(t) for t in turns]


def run_agent(request: Mapping[str, Any], bugs: Iterable[str] = ()) -> Json:
    """The RunResult of one POST /runs body: the same body and bugs give the identical result."""
    active = frozenset(bugs)
    call = _Call(request, active)
    scenario = request.get("scenario") or {}
    turns = caller_turns(scenario)
    limit = int(scenario.get("max_turns") or len(turns))
    for number, turn in enumerate(turns[:limit]):
        audio = turn.get("audio")
        text = recognise(audio, active) if isinstance(audio, dict) else str(turn.get("text", ""))
        after_ms = int(turn.get("after_ms") or 0)
        call.caller_says(number, text, after_ms, bool(turn.get("interrupt")), audio is not None)
        call.agent_says(call.respond(text).strip())
        if call.handed_off:
            break  # the call now belongs to a person; the script's remaining turns go unheard
    return _run_result(request, call, active, truncated=len(turns) > limit)


def _run_result(
    request: Mapping[str, Any], call: _Call, bugs: frozenset[str], truncated: bool
) -> Json:
    run_id = "r_" + digest(dict(request), sorted(bugs))[:24]
    trace_id = digest("trace", request.get("case_id"), request.get("trial", 1))[:32]
    end = "handoff" if call.handed_off else "max_turns" if truncated else "script_end"
    intent = call.intent
    if intent == "cancel" and "intent-mislabel" in bugs:
        intent = "reschedule"  # the classifier's label; the keyword flow still cancels
    return {
        "protocol": PROTOCOL,
        "run_id": run_id,
        # Echoes of the request: the gate refuses a result that names another case or trial.
        "case_id": request.get("case_id"),
        "trial": request.get("trial", 1),
        "status": "completed",
        "error": None,
        "trace_id": trace_id,
        "trace_complete": True,
        "events": call.events,
        "turns": call.turns,
        "outcome": {"task_completed": call.completed, "end_reason": end, "intent": intent},
        "side_effects": {"source": "sandbox_observed", "writes": call.sandbox.writes},
        "artifacts": {
            "trace_url": f"https://traces.example.test/trace/{trace_id}",
            "transcript_url": f"https://harness.example.test/runs/{run_id}/transcript",
            "recording_url": f"https://harness.example.test/runs/{run_id}/recording.wav",
        },
        "agent": {"name": AGENT_NAME, "version": __version__, "bugs": sorted(bugs)},
    }
