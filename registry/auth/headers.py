"""Security headers on every response.

The content security policy allows scripts, styles and images from this site only, so
templates never contain inline scripts or styles. Pages are never framed, never sniffed,
send no referrer to other sites, and pages for signed-in users are not cached (clinic
computers are shared). Over HTTPS, browsers are told to keep using HTTPS (HSTS).
"""

from __future__ import annotations

from flask import g, request
from flask.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def set_security_headers(response: Response) -> Response:
    """Add :data:`HEADERS` (and ``Cache-Control: no-store`` for signed-in pages)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if getattr(g, "user", None) is not None and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
