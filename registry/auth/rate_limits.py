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
(bad token: 401; wrong role: 403) are not counted.

.. _limits: https://limits.readthedocs.io/en/stable/quickstart.html#rate-limit-string-notation
"""

from __future__ import annotations

import math
import time

from flask import Flask, g, request
from flask.wrappers import Response
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import parse_many

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


def init_rate_limits(app: Flask) -> Limiter:
    """Bind a :class:`Limiter` with the configured limit and storage to ``app``."""
    config = app.config
    limit = str(config["API_RATE_LIMIT"])
    try:
        parse_many(limit)
    except ValueError:
        raise ConfigError(
            f"API_RATE_LIMIT {limit!r} is not a rate limit such as '600 per minute'."
        ) from None
    storage = "memory://"
    if config.get("REDIS_URL"):
        storage = config["REDIS_URL"]
    limiter = Limiter(
        rate_limit_key,
        application_limits=[limit],  # one count over all API routes, not one per route
        application_limits_exempt_when=not_api_request,
        storage_uri=storage,
        in_memory_fallback_enabled=True,  # Redis unreachable: count in memory meanwhile
        headers_enabled=True,
        on_breach=too_many_requests,
        key_prefix="narcoregistry",
    )
    limiter.init_app(app)
    app.extensions["registry_rate_limits"] = limiter
    app.register_error_handler(RateLimitExceeded, rate_limit_exceeded)
    return limiter
