"""Security headers on every response: a strict Content-Security-Policy, no framing, no sniffing."""

from flask import Flask, Response

from app.engine.render_parts import STYLE_SHA256

# No inline script anywhere (templates load app/static/*.js); styles come from app/static, except
# the one stylesheet every server-drawn diagram SVG embeds, allowed by its hash.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'sha256-{STYLE_SHA256}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
# Browsers show a PDF in their own viewer, which a page policy would break (Chrome's viewer
# needs inline styles and a plugin); a PDF runs no script of ours, so it gets no CSP.
NO_POLICY = frozenset({"application/pdf"})
RELAXED = ("development", "testing")


def uses_hsts(config: dict) -> bool:
    """HSTS only where the site is served over HTTPS for good: never in development or tests."""
    if config.get("DEBUG") or config.get("TESTING"):
        return False
    return (config.get("CONFIG_NAME") or "production") not in RELAXED


def init_app(app: Flask) -> None:
    """Add the headers to every response (pages, redirects, errors, static files)."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            if name == "Content-Security-Policy" and response.mimetype in NO_POLICY:
                continue
            response.headers.setdefault(name, value)
        if uses_hsts(app.config):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
