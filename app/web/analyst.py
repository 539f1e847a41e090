"""Process analysts' pages: deployed versions and where applications stand."""

from functools import wraps

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app.services.analyst import instances, versions

bp = Blueprint("analyst", __name__, url_prefix="/analyst")


def analyst_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.has_role("analyst"):
            return redirect(url_for("auth.staff_login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@analyst_required
def index():
    status = request.args.get("status") or None
    return render_template(
        "analyst/index.html", versions=versions(), instances=instances(status), status=status
    )
