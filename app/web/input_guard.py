"""Refuse control characters in the URL (path and query) before any route or query sees them."""

from flask import Flask, render_template, request

from app.domain.text import has_control_chars

MESSAGE = "URLに使用できない文字が含まれています。"


def _bad_url() -> bool:
    # The path never holds control characters; a query value may not hold NUL (PostgreSQL
    # refuses it in any text). Other characters in query values are left to the forms
    # (filters are validated) and to safe_next (redirect targets).
    if has_control_chars(request.path):
        return True
    return any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True))


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters_in_url():
        if _bad_url():
            return render_template("errors/refused.html", message=MESSAGE), 400
        return None
