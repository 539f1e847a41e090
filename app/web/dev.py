"""Development-only pages: the captured mailbox and the movable clock."""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from app import clock
from app.devmail import read_mailbox
from app.services import Actor, ServiceError
from app.services.clock import move_clock, reset_clock
from app.services.timers import fire_due_timers
from app.web import current_actor

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def development_only():
    # Registered only with DEV_TOOLS; refuse anyway should the flag change after start-up.
    if not current_app.config.get("DEV_TOOLS"):
        abort(404)


STEPS = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "49h": timedelta(hours=49),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


STEP_LABELS = {"1h": "1時間", "1d": "1日", "49h": "49時間", "7d": "7日", "30d": "30日"}


def japanese_duration(value: timedelta) -> str:
    """A clock offset as people say it: 「1日 2時間 3分 進んでいます」, or 「なし（実時刻）」."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "なし（実時刻）"
    sign, seconds = ("進んでいます", seconds) if seconds > 0 else ("遅れています", -seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{n}{unit}"
        for n, unit in ((days, "日"), (hours, "時間"), (minutes, "分"), (secs, "秒"))
        if n
    ]
    return f"{' '.join(parts)} {sign}"


@bp.route("/mail")
def mail():
    messages = read_mailbox(current_app.config["MAILBOX_DIR"])
    return render_template("dev/mail.html", messages=messages)


@bp.route("/clock", methods=["GET", "POST"])
def clock_page():
    actor = current_actor()
    if request.method == "POST":  # CSRFProtect has already checked the token
        by = Actor(kind="staff", label=actor.label if actor.kind == "staff" else "dev-page")
        try:
            if request.form.get("action") == "reset":
                reset_clock(by)
            else:
                move_clock(by, STEPS.get(request.form.get("step", ""), timedelta(0)))
            advanced = fire_due_timers()
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"時計を変更しました。期限到来の処理：{advanced}件", "info")
        return redirect(url_for("dev.clock_page"))
    return render_template(
        "dev/clock.html",
        now=clock.now_jst(),
        offset=japanese_duration(clock.offset()),
        steps=STEP_LABELS,
    )
