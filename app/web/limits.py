"""Request size limits: refuse a too-large body before it is read, with a Japanese page."""

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

# Endpoints that may receive more than MAX_CONTENT_LENGTH (logged-in roles only).
LARGER = {"analyst.upload": 20 * 1024 * 1024}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def register_limits(app: Flask) -> None:
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = 6 * 1024 * 1024

    def raise_limit_for_uploads() -> None:
        limit = LARGER.get(request.endpoint or "")
        if limit:
            request.max_content_length = limit

    # First of all before-request hooks: CSRFProtect reads the form in its own hook.
    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit_for_uploads)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        # Under the body limit, it was the limit on form fields kept in memory (Flask's own).
        over_body = (request.content_length or 0) > limit or request.content_length is None
        shown = _megabytes(limit) if over_body else None
        return render_template("errors/413.html", limit=shown), 413
