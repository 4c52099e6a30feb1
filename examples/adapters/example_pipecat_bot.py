"""A Pipecat bot as `pipecat_adapter.py --bot example_pipecat_bot:build` expects one: `build()`
returns the LLM service and the context (system prompt and tools) the voice pipeline uses.
The model and endpoint come from OPENAI_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY."""

from __future__ import annotations

import os
from typing import Any

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.openai.llm import OpenAILLMService

SYSTEM = (
    "You are the phone scheduling assistant of a clinic. Verify the caller with lookup_identity "
    "before you change anything. To move an appointment, use update_appointment on the existing "
    "one; never create a second appointment. Keep answers short: they are spoken."
)
TOOLS = ToolsSchema(
    standard_tools=[
        FunctionSchema(
            name="lookup_identity",
            description="Verify the caller's identity.",
            properties={"caller_id": {"type": "string"}},
            required=["caller_id"],
        ),
        FunctionSchema(
            name="update_appointment",
            description="Move an existing appointment to a new start time (ISO 8601).",
            properties={"appointment_id": {"type": "string"}, "new_start_time": {"type": "string"}},
            required=["appointment_id", "new_start_time"],
        ),
        FunctionSchema(
            name="create_new_appointment",
            description="Book a new appointment.",
            properties={"caller_id": {"type": "string"}, "start_time": {"type": "string"}},
            required=["caller_id", "start_time"],
        ),
    ]
)


def build() -> tuple[Any, Any]:
    llm = OpenAILLMService(
        api_key=os.environ.get("OPENAI_API_KEY", "none"),
        base_url=os.environ.get("OPENAI_BASE_URL"),
        settings=OpenAILLMService.Settings(model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini")),
    )
    return llm, LLMContext(messages=[{"role": "system", "content": SYSTEM}], tools=TOOLS)
