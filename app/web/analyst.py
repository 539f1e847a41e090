"""The analyst's studio: versions, upload and validation, live diagrams, applications, migration."""

from functools import wraps
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.services import ServiceError
from app.services.analyst import (
    InstanceFilter,
    instance_page,
    instances,
    stage_choices,
    version_file,
    version_ids,
    version_page,
    versions,
)
from app.services.migration import candidates, migrate_all
from app.services.validation import check_bundle, deploy_checked, read_uploads
from app.services.views import STATUS_LABELS
from app.web import current_actor
from app.web.args import int_arg, page_arg
from forms.analyst import InstanceFilterForm, MigrateForm, UploadForm

bp = Blueprint("analyst", __name__, url_prefix="/analyst")
UPLOAD_LIMIT = 20 * 1024 * 1024
INSTANCE_FILTERS = ("status", "stage", "version", "within")


def analyst_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.staff_login", next=request.path))
        if not current_user.has_role("analyst"):
            return refused(ServiceError("業務フローの画面は業務分析者だけが使えます。", 403))
        return view(*args, **kwargs)

    return wrapper


def refused(exc: ServiceError):
    return render_template("errors/refused.html", message=exc.message), exc.status


@bp.route("/")
@analyst_required
def index():
    return render_template("analyst/index.html", versions=versions())


@bp.route("/upload", methods=["GET", "POST"])
@analyst_required
def upload():
    request.max_content_length = UPLOAD_LIMIT
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        flash("ファイルが大きすぎます（合計 20 MB まで）。", "error")
        return redirect(url_for("analyst.upload"))
    report = None
    if submitted:
        files, problems = read_uploads(form.uploads())
        if form.deploy.data and not problems:
            report, version, created = deploy_checked(files, current_actor().label, form.alone.data)
            if version is not None:
                message = (
                    "新しい版として配備しました。" if created else "同じ内容の版が既にあります。"
                )
                flash(f"{message}（版 {version.id}）", "info")
                return redirect(url_for("analyst.version", version_id=version.id))
        else:
            report = check_bundle(files, form.alone.data)
            report.problems[:0] = problems
    return render_template("analyst/upload.html", form=form, report=report)


@bp.route("/versions/<int:version_id>")
@analyst_required
def version(version_id: int):
    def link(process_id: str) -> str:
        return url_for("analyst.version", version_id=version_id, process=process_id)

    try:
        data = version_page(
            version_id, request.args.get("process"), link, request.args.get("diagram")
        )
    except ServiceError as exc:
        return refused(exc)
    return render_template("analyst/version.html", **data)


@bp.route("/versions/<int:version_id>/files/<name>")
@analyst_required
def download(version_id: int, name: str):
    try:
        text = version_file(version_id, name)
    except ServiceError as exc:
        return refused(exc)
    return Response(
        text,
        mimetype="application/xml",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@bp.route("/versions/<int:version_id>/migration", methods=["GET", "POST"])
@analyst_required
def migration(version_id: int):
    form = MigrateForm()
    if form.validate_on_submit():
        scope = request.form.get("scope", "all")
        only = status = None
        if scope == "chosen":
            only = {int(v) for v in request.form.getlist("application") if v.isdigit()}
        elif scope == "status":
            status = request.form.get("status", "")
        try:
            result = migrate_all(version_id, current_actor(), only=only, status=status)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"{len(result['moved'])} 件の申込を版 {version_id} に移しました"
                f"（移せなかった申込 {len(result['refused'])} 件）。",
                "info",
            )
        return redirect(url_for("analyst.migration", version_id=version_id))
    try:
        data = candidates(version_id)
    except ServiceError as exc:
        return refused(exc)
    return render_template("analyst/migration.html", form=form, **data)


@bp.route("/applications")
@analyst_required
def applications():
    form = InstanceFilterForm(formdata=request.args)
    form.prepare(STATUS_LABELS, stage_choices(), version_ids())
    valid = form.validate()
    filters = InstanceFilter(
        status=form.status.data or None,
        stage=form.stage.data or None,
        version=int_arg("version", 0) or None,
        within_days=form.within.data if valid else None,
        page=page_arg(),
    )
    # Only the filters go back into the links (never url_for's own _external, _scheme ...).
    args = {k: v for k, v in request.args.items() if k in INSTANCE_FILTERS and v}
    return render_template("analyst/applications.html", form=form, args=args, **instances(filters))


@bp.route("/applications/<int:application_id>")
@analyst_required
def application(application_id: int):
    def link(process_id: str) -> str:
        return url_for("analyst.application", application_id=application_id, process=process_id)

    try:
        data = instance_page(
            application_id, request.args.get("process"), link, request.args.get("diagram")
        )
    except ServiceError as exc:
        return refused(exc)
    return render_template("analyst/application.html", **data)
