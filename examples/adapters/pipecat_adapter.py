"""Harness adapter for a Pipecat bot: its LLM service and context in a pipeline with a text
transport instead of audio (caller turns go in as user messages, the bot's text and function-call
frames come out), the bot's functions replaced by the outputs the case fixture gives.

    pip install -r examples/adapters/requirements-pipecat.txt   # pipecat-ai[openai]
    python examples/adapters/pipecat_adapter.py --bot my_bot:build
    voice-regress-gate run --harness-url http://127.0.0.1:8766 --cases voice-tests

`my_bot:build` is a function of yours returning `(llm, context)`: the Pipecat LLM service your
voice pipeline uses (functions registered) and its `LLMContext` (system prompt and tools), as
your bot builds them minus STT and TTS. Written for Pipecat 1.x (`PipelineWorker`,
`WorkerRunner`). Pipecat is an optional extra of this example, never a dependency of the gate.
Functions the fixture does not mock (`fixture.tool_results`) run for real: mock every one that
writes. The protocol side is `harness_protocol.py`, shared with the other adapters.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from harness_protocol import Harness, Json, MockTools, Recorder, RunRequest, serve

try:  # the framework is optional: the protocol side and its tests run without it
    from pipecat.frames.frames import LLMMessagesAppendFrame
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineWorker
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
    from pipecat.processors.frame_processor import FrameProcessor
    from pipecat.workers.runner import WorkerRunner
except ImportError:  # pragma: no cover - depends on the environment
    FrameProcessor = object


class TextTurns:
    """The text transport's output side: Pipecat frames → protocol events, one turn at a time.

    Frames are told apart by class name, so the translation is the same whichever Pipecat
    module defines them (and testable without Pipecat).
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.text: list[str] = []
        self.pending: set[str] = set()
        self.called = False  # the current response called a function
        self.turn_done = asyncio.Event()

    def on_frame(self, frame: Any) -> None:
        kind = type(frame).__name__
        if kind == "FunctionCallsStartedFrame":  # comes before the end of its response
            self.called = True
        elif kind == "FunctionCallInProgressFrame":
            self.pending.add(frame.tool_call_id)
            self.called = True
            self.recorder.tool_call(frame.function_name, frame.arguments, frame.tool_call_id)
        elif kind == "FunctionCallResultFrame":
            self.pending.discard(frame.tool_call_id)
            self.recorder.tool_result(frame.tool_call_id, frame.result)
        elif kind == "LLMTextFrame":
            self.text.append(frame.text)
        elif kind == "LLMFullResponseEndFrame":
            self._response_end()

    def _response_end(self) -> None:
        # A response that only called functions is followed by another once their results are
        # in: the turn ends with the first response that says something or calls nothing.
        silent_call = self.called and not "".join(self.text).strip()
        self.called = False
        if self.pending or silent_call:
            return
        self.recorder.agent("".join(self.text).strip())
        self.text = []
        self.turn_done.set()


class _Tap(FrameProcessor):  # type: ignore[misc,valid-type]
    """Passes every frame on, showing it to `TextTurns` first."""

    def __init__(self, turns: TextTurns) -> None:
        super().__init__()
        self.turns = turns

    async def process_frame(self, frame: Any, direction: Any) -> None:
        await super().process_frame(frame, direction)
        self.turns.on_frame(frame)
        await self.push_frame(frame, direction)


def mock_functions(llm: Any, tools: MockTools) -> None:
    """Register the fixture's outputs as the handlers of the functions it names."""
    for name in tools.results:

        async def handler(params: Any, name: str = name) -> None:
            output, _ = tools(name, params.arguments)
            await params.result_callback(output)

        llm.register_function(name, handler)


class PipecatBot:
    """Plays one case's caller turns through the bot's LLM in a text-only pipeline."""

    def __init__(self, build: Callable[[], tuple[Any, Any]], turn_timeout_s: float = 60) -> None:
        self.build, self.turn_timeout_s = build, turn_timeout_s

    def __call__(self, request: RunRequest, recorder: Recorder, tools: MockTools) -> Json | None:
        asyncio.run(self._play(request, recorder, tools))
        return None

    async def _play(self, request: RunRequest, recorder: Recorder, tools: MockTools) -> None:
        llm, context = self.build()
        mock_functions(llm, tools)
        turns = TextTurns(recorder)
        aggregators = LLMContextAggregatorPair(context)
        pipeline = Pipeline([aggregators.user(), llm, _Tap(turns), aggregators.assistant()])
        worker = PipelineWorker(pipeline)
        # Each run is served on an HTTP thread, where no signal handler can be installed.
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        running = asyncio.create_task(runner.run())
        try:
            for text in request.turns:
                recorder.caller(text)
                turns.turn_done.clear()
                message = {"role": "user", "content": text}
                await worker.queue_frames([LLMMessagesAppendFrame([message], run_llm=True)])
                await asyncio.wait_for(turns.turn_done.wait(), self.turn_timeout_s)
        finally:
            await worker.end()
            await running
            # Pipecat's OpenAI services do not close their HTTP client; one per run would leak.
            client = getattr(llm, "_client", None)
            if client is not None and hasattr(client, "close"):
                await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", required=True, metavar="MODULE:FUNCTION")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if FrameProcessor is object:
        parser.error("Pipecat is not installed: pip install -r requirements-pipecat.txt")
    sys.path.insert(0, os.getcwd())  # your agent's module, from where you run the adapter
    module, _, name = args.bot.partition(":")
    build = getattr(importlib.import_module(module), name)
    serve(Harness(PipecatBot(build), name=f"pipecat:{name}"), args.host, args.port)


if __name__ == "__main__":
    main()
