"""How the harness is reached from this machine: the environment's proxy and TLS certificates."""

from __future__ import annotations

import base64
import ssl
import urllib.request

import httpx
from yarl import URL

from gate.errors import InputError
from gate.redact import redact_url


def proxy_parts(proxy: str | None) -> tuple[URL | None, dict[str, str] | None]:
    """The proxy URL without credentials, and its credentials as a Proxy-Authorization header
    (as httpx sends them: Basic, UTF-8)."""
    if proxy is None:
        return None, None
    # httpx reads `HTTPS_PROXY=proxy.corp:3128` (no scheme) as an http:// proxy: so do we.
    try:
        url = URL(proxy if "://" in proxy else f"http://{proxy}")
    except ValueError:  # not shown: the setting may hold a password
        raise InputError(
            "the proxy setting (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY) is not a valid URL"
        ) from None
    if url.scheme not in ("http", "https"):
        raise InputError(
            f"proxy {redact_url(str(url))} is not supported: use an http:// or https:// proxy"
        )
    if url.user is None:
        return url, None
    pair = base64.b64encode(f"{url.user}:{url.password or ''}".encode()).decode("ascii")
    return url.with_user(None), {"Proxy-Authorization": f"Basic {pair}"}


class LoadWhenNeeded(ssl.SSLContext):
    """tls_context's context when no URL it was given is https (see there)."""


def tls_context(*urls: str | None) -> ssl.SSLContext:
    """The TLS context: the CA certificates (the environment's SSL_CERT_FILE and SSL_CERT_DIR
    included, as httpx reads them) loaded only when one of `urls` is https; else a context that
    trusts nothing until the transport loads them for an https request (a harness's poll_url
    elsewhere), so a bad certificate setting cannot stop a plain http harness.

    Raises:
        InputError: the certificates cannot be loaded (exit 2, not a bug in the gate).
    """
    if not any(url and url.lower().startswith("https:") for url in urls):
        return LoadWhenNeeded(ssl.PROTOCOL_TLS_CLIENT)  # verifies, and trusts no one yet
    try:
        return httpx.create_ssl_context(trust_env=True)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"cannot load TLS certificates (SSL_CERT_FILE, SSL_CERT_DIR): {exc}"
        ) from None


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY), as httpx
    itself would use without a custom transport; None: connect directly."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    if proxies.get("no") and urllib.request.proxy_bypass(parsed.host):
        return None
    return proxies.get(parsed.scheme) or proxies.get("all")
