"""Is the judge there at all? One request before a long calibration, so a wrong host or port
fails at once with one message instead of retrying every vote of every labelled example."""

from __future__ import annotations

import asyncio

import httpx

from gate.judge.client import JudgeClient
from gate.net import short
from gate.redact import redact_url

PROBE_TIMEOUT_S = 10.0


async def unreachable(client: JudgeClient) -> str | None:
    """None when the judge's endpoint answers anything (even 404 or 405: a server is there);
    else one line saying why it cannot be reached (connection refused, unknown host, timeout)."""
    settings = client.settings
    endpoint = settings.endpoint
    try:
        async with asyncio.timeout(min(settings.timeout_s, PROBE_TIMEOUT_S)):
            async with client.http.stream("GET", endpoint):
                pass  # the status line is enough; the body is never read
    except TimeoutError:
        why = f"no answer within {min(settings.timeout_s, PROBE_TIMEOUT_S):g}s"
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        why = f"{type(exc).__name__}: {short(str(exc), settings.api_key) or 'no detail'}"
    except httpx.TransportError:
        return None  # a server answered, if oddly: the votes will say how it fails
    else:
        return None
    shown = redact_url(endpoint)  # a URL may carry credentials in its userinfo or query
    return f"judge unreachable at {shown} ({why}): check --judge-url and that the judge runs"
