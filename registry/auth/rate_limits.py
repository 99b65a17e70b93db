"""Rate limits on the API: each token, user or address gets ``API_RATE_LIMIT`` requests.

Every request under ``/api/`` (whatever the route: one count for the whole API) counts
against one key: the API token if it carries one,
else the signed-in user, else the client address (behind a reverse proxy: the proxy's, so
anonymous requests share one counter). The limit is a `limits`_ string such as
``"600 per minute"`` or ``"20 per second; 10000 per hour"`` (``API_RATE_LIMIT``, default
in :mod:`registry.config`; a page polling a job every 0.2 s stays under it). Counters live
in memory (one set per server process), or in Redis when ``REDIS_URL`` is set, so several
processes and machines share them (while Redis cannot be reached, each process counts in
memory rather than failing the request). A request over the limit gets 429 problem details
with ``Retry-After`` (seconds); every API response carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``. Requests refused before the check
(bad token: 401; wrong role: 403) are not counted there.

Refused tokens (unknown, revoked, expired, or of a deactivated user: 401) are counted
apart, in the same storage, against ``API_BAD_TOKEN_LIMIT`` (default ``"10 per minute"``)
twice: per token (its digest) and per client address. A token over its count gets 429
problem details with ``Retry-After`` before it is even looked up; from an address over
its count, every token that is not valid gets 429 instead of 401. A valid token is never
refused here, whatever its address (so a stale script behind a shared proxy cannot lock
out the others), and password sign-in is never affected (:mod:`registry.auth.throttle`).
Throttled requests write no audit row, so a flood of bad tokens cannot flood the log.

.. _limits: https://limits.readthedocs.io/en/stable/quickstart.html#rate-limit-string-notation
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from registry.config import ConfigError
from registry.errors import problem


def rate_limit_key() -> str:
    """Who a request counts against: its token, its user, or its address."""
    token = getattr(g, "api_token", None)
    if token is not None:
        return f"token:{token.id}"
    user = getattr(g, "user", None)
    if user is not None:
        return f"user:{user.id}"
    return f"address:{request.remote_addr}"


def not_api_request() -> bool:
    """Pages, static files and the login form are not limited here."""
    return not request.path.startswith("/api/")


def too_many_requests(limit: RequestLimit) -> Response:
    """429 problem details, with ``Retry-After`` in whole seconds."""
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    return problem(
        429,
        f"Rate limit exceeded ({limit.limit}). Try again in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


def rate_limit_exceeded(error: RateLimitExceeded) -> Response:
    """The response :func:`too_many_requests` built (the general 429 handler has none)."""
    if error.response is not None:
        return error.response
    return problem(429, str(error.description))


def parsed_limits(name: str, config: dict | None = None) -> list[RateLimitItem]:
    """The rate limits of setting ``name``; a :class:`ConfigError` if it is not one."""
    value = str((config if config is not None else current_app.config)[name])
    try:
        return parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name} {value!r} is not a rate limit such as '600 per minute'."
        ) from None


def init_rate_limits(app: Flask) -> Limiter:
    """Bind a :class:`Limiter` with the configured limit and storage to ``app``."""
    config = app.config
    limit = str(config["API_RATE_LIMIT"])
    parsed_limits("API_RATE_LIMIT", config)
    parsed_limits("API_BAD_TOKEN_LIMIT", config)
    storage = "memory://"
    if config.get("REDIS_URL"):
        storage = config["REDIS_URL"]
    limiter = Limiter(
        rate_limit_key,
        application_limits=[limit],  # one count over all API routes, not one per route
        storage_uri=storage,
        in_memory_fallback_enabled=True,  # Redis unreachable: count in memory meanwhile
        headers_enabled=True,
        on_breach=too_many_requests,
        key_prefix="narcoregistry",
    )
    # Pages are skipped before the limiter resolves any limit: exempting them from the
    # application limit instead was asked only after that (2 % of the server's CPU under
    # load, issue 12 §5).
    limiter.request_filter(not_api_request)
    limiter.init_app(app)
    app.extensions["registry_rate_limits"] = limiter
    app.extensions["registry_bad_tokens"] = FixedWindowRateLimiter(MemoryStorage())
    app.register_error_handler(RateLimitExceeded, rate_limit_exceeded)
    return limiter


def _on_storage(call: Callable[[RateLimiter], Any]) -> Any:
    """``call`` on the limiter's storage; on the in-memory fallback while it fails."""
    try:
        return call(current_app.extensions["registry_rate_limits"].limiter)
    except Exception:  # noqa: BLE001  (Redis unreachable: count in this process meanwhile)
        logging.getLogger(__name__).warning("rate limit storage unreachable; counting in memory")
        return call(current_app.extensions["registry_bad_tokens"])


#: The counters' names start with these (Redis may be shared with other applications).
BAD_TOKEN_NAMESPACE = ("narcoregistry", "bad-token")


def bad_token_wait(key: str) -> int | None:
    """Whole seconds until ``key`` may send a refused token again, or ``None`` if it may."""
    ids = (*BAD_TOKEN_NAMESPACE, key)
    for item in parsed_limits("API_BAD_TOKEN_LIMIT"):
        if not _on_storage(lambda strategy, item=item: strategy.test(item, *ids)):
            window = _on_storage(lambda strategy, item=item: strategy.get_window_stats(item, *ids))
            return max(1, math.ceil(window.reset_time - time.time()))
    return None


def count_bad_token(*keys: str) -> None:
    """Count one refused token against each of ``keys``."""
    for item in parsed_limits("API_BAD_TOKEN_LIMIT"):
        for key in keys:
            ids = (*BAD_TOKEN_NAMESPACE, key)
            _on_storage(lambda strategy, item=item, ids=ids: strategy.hit(item, *ids))


def too_many_bad_tokens(retry_after: int) -> Response:
    """429 problem details for a throttled token or address, with ``Retry-After``."""
    detail = _(
        "Too many requests with a refused API token. Try again in %(seconds)s s.",
        seconds=retry_after,
    )
    return problem(429, detail, headers={"Retry-After": str(retry_after)})
