"""HTTP security headers applied to every response; the client address behind proxies."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


HSTS = "max-age=31536000"  # one year; subdomains are left to their own servers


def add_security_headers(response: Response) -> Response:
    """Strict CSP with no inline script, no sniffing, no framing, little referrer; nothing
    but static files is kept in a cache; HSTS in production."""
    if request.endpoint != "static":
        # Pages, exports and the API carry people's and departments' data: no cache keeps it.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("CX_HSTS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the header hook; believe X-Forwarded-For only from the configured proxies."""
    app.after_request(add_security_headers)
    proxies = int(app.config.get("CX_TRUSTED_PROXY_COUNT", 0))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
