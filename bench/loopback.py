"""A minimal loopback harness for benchmarks: `python bench/loopback.py --latency 0.2` (not a test).

It speaks just enough of `voice-regress/v1` (GET /health, synchronous POST /runs) over raw
asyncio HTTP/1.1 with keep-alive, and sleeps a latency per run, so one process serves thousands of
concurrent runs at a few hundred µs of CPU each and is never the bottleneck of the gate it
measures. The first stdout line is the port; SIGTERM prints a JSON line with its own counters.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import signal
import sys
import uuid

PROTOCOL = "voice-regress/v1"
HEALTH = json.dumps({"status": "ok", "protocol": PROTOCOL}).encode()


class Harness:
    """Run latency: `latency` ± `jitter` (a fraction), and `slow_fraction` of the cases (chosen by
    a hash of the case id, so every trial of a case is alike) take `slow_factor` times longer."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.runs, self.slept = args, 0, 0.0
        self.instance = uuid.uuid4().hex[:12]
        self.rng = random.Random(args.seed)

    def latency(self, case_id: str) -> float:
        a = self.args
        base = a.latency
        digest = int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:4], "big")
        if digest / 2**32 < a.slow_fraction:
            base *= a.slow_factor
        return max(0.0, base * (1 + self.rng.uniform(-a.jitter, a.jitter)))

    async def run(self, body: bytes) -> bytes:
        request = json.loads(body)
        self.runs += 1
        # Taken now (other runs count up while this one sleeps), and unique across harness
        # processes, as the protocol asks: `merge` takes a run id two shards share as a replay.
        run_id = f"run-{self.instance}-{self.runs}"
        delay = self.latency(request["case_id"])
        self.slept += delay
        await asyncio.sleep(delay)
        return json.dumps(
            {
                "protocol": PROTOCOL,
                "run_id": run_id,
                "status": "completed",
                "trace_complete": True,
                "events": [
                    {"type": "message", "role": "caller", "turn": 1, "text": "hello"},
                    {"type": "message", "role": "agent", "turn": 1, "text": "You are confirmed."},
                ],
            }
        ).encode()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                method, path = request_line.split(" ")[:2]
                if method == "POST" and path.endswith("/runs"):
                    status, payload = "200 OK", await self.run(body)
                elif path.endswith("/health"):
                    status, payload = "200 OK", HEALTH
                else:
                    status, payload = "404 Not Found", b'{"error": "not found"}'
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main_async(args: argparse.Namespace) -> None:
    harness = Harness(args)
    server = await asyncio.start_server(harness.serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"runs": harness.runs, "slept_s": harness.slept, "cpu_s": cpu}), flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per run")
    parser.add_argument("--jitter", type=float, default=0.0, help="± fraction of the latency")
    parser.add_argument("--slow-fraction", type=float, default=0.0, help="share of slow cases")
    parser.add_argument("--slow-factor", type=float, default=5.0, help="how much slower")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main_async(parse(sys.argv[1:])))
