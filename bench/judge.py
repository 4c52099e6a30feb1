"""Judge calls per judged assertion (not a test): `python bench/judge.py --agreement 0.95`.

A scripted judge (httpx.MockTransport, no network) answers each vote with the assertion's true
verdict with probability `--agreement` and the other one otherwise, after `--latency` seconds,
serving `--judge-concurrency` requests at once. It prints the calls per judged assertion (early
stop: 2 when the first two agree) and the wall time of `--assertions` assertions scored
`--concurrency` at a time, as the run's trials would be.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time

import httpx

from gate.judge.client import JudgeClient, JudgeSettings
from gate.judge.scorer import Judge

TRANSCRIPT = "[t1] agent: Your appointment is moved to Thursday at 2 pm."
NONCE = re.compile(r'"nonce": "([0-9a-f]+)"')


def scripted(agreement: float, latency: float, seed: int) -> httpx.MockTransport:
    rng = random.Random(seed)

    async def answer(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        truth = "pass" if "[pass]" in prompt else "fail"
        verdict = truth if rng.random() < agreement else ("fail" if truth == "pass" else "pass")
        await asyncio.sleep(latency)
        content = json.dumps(
            {
                "verdict": verdict,
                "evidence": "moved to Thursday at 2 pm",
                "reason": "scripted",
                "nonce": NONCE.findall(prompt)[-1],
            }
        )
        body = {"model": "scripted", "choices": [{"message": {"content": content}}]}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


async def score_all(args: argparse.Namespace) -> tuple[int, float]:
    settings = JudgeSettings(
        "http://judge.bench/v1", "scripted", concurrency=args.judge_concurrency
    )
    transport = scripted(args.agreement, args.latency, args.seed)
    async with httpx.AsyncClient(transport=transport) as http:
        judge = Judge(JudgeClient(settings, http), votes=args.votes)
        slots = asyncio.Semaphore(args.concurrency)

        async def one(index: int) -> None:
            criterion = f"[{'pass' if index % 2 else 'fail'}] the agent confirms the new time"
            async with slots:
                await judge.score(criterion, TRANSCRIPT, args.votes)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(args.assertions)))
        return judge.usage.calls, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--assertions", type=int, default=2000, help="judged assertions to score (default 2000)")
    add("--agreement", type=float, default=0.95, help="the judge's self-agreement (default 0.95)")
    add("--votes", type=int, default=3, help="votes per assertion (default 3)")
    add("--latency", type=float, default=0.0, help="seconds per judge request (default 0)")
    add("--concurrency", type=int, default=64, help="assertions scored at once (default 64)")
    add("--judge-concurrency", type=int, default=64, help="judge requests in flight")
    add("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    calls, wall = asyncio.run(score_all(args))
    print(
        f"{args.assertions} judged assertions, votes={args.votes}, agreement={args.agreement}: "
        f"{calls / args.assertions:.3f} calls per assertion "
        f"(expected {2 + 2 * args.agreement * (1 - args.agreement):.3f} for 3 votes); "
        f"wall {wall:.2f} s at latency {args.latency} s, judge concurrency "
        f"{args.judge_concurrency}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
