"""Administration pages (administrators only): schedule, business calendar, offices, staff."""

from datetime import date
from functools import wraps

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.clock import today_jst
from app.services import ServiceError, staff_admin
from app.services import admin as service
from app.web import current_actor
from app.web.args import int_arg, page_arg
from app.web.auth import keep_own_staff_session
from forms.admin import (
    CalendarDayForm,
    CsvImportForm,
    OfficeForm,
    ScheduleEntryForm,
    StaffUserForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
CSV_ERRORS_SHOWN = 20
YEARS = range(2000, 2101)  # the calendar pages (as calendar_seed accepts)


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_staff:
            return redirect(url_for("auth.staff_login", next=request.path))
        if not current_user.has_role("administrator"):
            message = "このページは管理者のみ利用できます。"
            return render_template("errors/refused.html", message=message), 403
        return view(*args, **kwargs)

    return wrapper


def _refused(exc: ServiceError):
    return render_template("errors/refused.html", message=exc.message), exc.status


@bp.route("/")
@admin_required
def index():
    return render_template("admin/index.html")


# --- schedule ----------------------------------------------------------------------------


@bp.route("/schedule", methods=["GET", "POST"])
@admin_required
def schedule():
    form = ScheduleEntryForm()
    if form.validate_on_submit():
        try:
            service.save_schedule_entry(
                current_actor(),
                form.start_date.data,
                form.contract_deadline.data,
                form.setup_deadline.data,
            )
        except ServiceError as exc:
            form.start_date.errors.append(exc.message)
        else:
            flash(f"システム登録日 {form.start_date.data.isoformat()} を登録しました。", "info")
            return redirect(url_for("admin.schedule"))
    status = 422 if request.method == "POST" else 200
    return _schedule_page(form, CsvImportForm(formdata=None)), status


def _schedule_page(form, import_form) -> str:
    entries = service.schedule_entries(current_actor())
    return render_template(
        "admin/schedule.html",
        form=form,
        import_form=import_form,
        entries=entries,
        today=today_jst(),
    )


@bp.route("/schedule/<int:entry_id>", methods=["GET", "POST"])
@admin_required
def schedule_entry(entry_id: int):
    entry = next(
        (e for e, _ in service.schedule_entries(current_actor()) if e.id == entry_id), None
    )
    if entry is None:
        return _refused(ServiceError("スケジュールが見つかりません。", 404))
    form = ScheduleEntryForm(obj=entry)
    if form.validate_on_submit():
        try:
            service.save_schedule_entry(
                current_actor(),
                form.start_date.data,
                form.contract_deadline.data,
                form.setup_deadline.data,
                entry_id,
            )
        except ServiceError as exc:
            form.start_date.errors.append(exc.message)
        else:
            flash("スケジュールを更新しました。", "info")
            return redirect(url_for("admin.schedule"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/schedule_edit.html", form=form, entry=entry), status


@bp.route("/schedule/<int:entry_id>/delete", methods=["POST"])
@admin_required
def schedule_delete(entry_id: int):
    # CSRFProtect checks every POST before it gets here.
    try:
        service.delete_schedule_entry(current_actor(), entry_id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("スケジュールを削除しました。", "info")
    return redirect(url_for("admin.schedule"))


@bp.route("/schedule/import", methods=["POST"])
@admin_required
def schedule_import():
    return _import_csv(
        service.import_schedule,
        "admin.schedule",
        lambda import_form: _schedule_page(ScheduleEntryForm(formdata=None), import_form),
    )


# --- business calendar -------------------------------------------------------------------


@bp.route("/calendar", methods=["GET", "POST"])
@admin_required
def calendar():
    year = int_arg("year", today_jst().year, YEARS)
    form = CalendarDayForm()
    if form.validate_on_submit():
        day: date = form.day.data
        moved = service.set_calendar_day(
            current_actor(), day, form.kind.data == "business", form.note.data or ""
        )
        kind = "営業日" if form.kind.data == "business" else "休業日"
        flash(f"{day.isoformat()} を{kind}にしました（回答期限の再計算：{moved}件）。", "info")
        return redirect(url_for("admin.calendar", year=day.year))
    days = service.calendar_days(current_actor(), year)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/calendar.html", form=form, days=days, year=year), status


@bp.route("/calendar/<day>/delete", methods=["POST"])
@admin_required
def calendar_delete(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return _refused(ServiceError("日付が正しくありません。", 404))
    try:
        moved = service.clear_calendar_day(current_actor(), parsed)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{day} の設定を削除しました（回答期限の再計算：{moved}件）。", "info")
    return redirect(url_for("admin.calendar", year=parsed.year))


@bp.route("/calendar/seed", methods=["POST"])
@admin_required
def calendar_seed():
    year = request.form.get("year", type=int)
    if year and 2000 <= year <= 2100:
        added = service.seed_calendar_year(current_actor(), year)
        flash(f"{year}年の祝日・年末年始休業日を{added}件追加しました。", "info")
    else:
        flash("年を正しく指定してください。", "error")
    return redirect(url_for("admin.calendar", year=year or today_jst().year))


# --- offices -----------------------------------------------------------------------------


@bp.route("/offices")
@admin_required
def offices():
    q = (request.args.get("q") or "").strip()[:100]
    return _offices_page(q, page_arg(), CsvImportForm(formdata=None))


def _offices_page(q: str, number: int, import_form) -> str:
    page = service.offices(current_actor(), q, number)
    return render_template("admin/offices.html", page=page, q=q, import_form=import_form)


@bp.route("/offices/new", methods=["GET", "POST"])
@bp.route("/offices/<code>", methods=["GET", "POST"])
@admin_required
def office(code: str | None = None):
    try:
        found = service.office(current_actor(), code) if code else None
    except ServiceError as exc:
        return _refused(exc)
    form = OfficeForm(obj=found)
    if found is not None:
        form.code.data = found.code
    if form.validate_on_submit():
        try:
            service.save_office(current_actor(), form.to_data(), code)
        except ServiceError as exc:
            form.code.errors.append(exc.message)
        else:
            flash(f"事業所 {form.code.data} を保存しました。", "info")
            return redirect(url_for("admin.offices", q=form.code.data))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/office.html", form=form, office=found), status


@bp.route("/offices/import", methods=["POST"])
@admin_required
def offices_import():
    return _import_csv(
        service.import_offices,
        "admin.offices",
        lambda import_form: _offices_page("", 1, import_form),
    )


def _import_csv(importer, back_to: str, page):
    """Shared by the schedule and office imports: validate the upload, import, report counts.

    A refused file re-renders the page with the reasons beside the file field (the first
    CSV_ERRORS_SHOWN lines and a count): long error lists never go into the session cookie."""
    form = CsvImportForm()
    if form.validate_on_submit():
        limit = current_app.config["CSV_MAX_BYTES"]
        raw = form.file.data.stream.read(limit + 1)  # never more than the limit (+1, to tell)
        if len(raw) > limit:
            form.file.errors.append(
                f"CSVファイルが大きすぎます（上限 {limit // (1024 * 1024)} MB）。"
                "ファイルを分けて取り込んでください。"
            )
        else:
            try:
                counts = importer(current_actor(), service.decode_csv(raw))
            except ServiceError as exc:
                form.file.errors.extend(_first_lines(exc.message))
            else:
                summary = f"追加 {counts['added']}件・更新 {counts['updated']}件"
                if "unchanged" in counts:
                    summary += f"・変更なし {counts['unchanged']}件"
                flash(f"取り込みました：{summary}", "info")
                return redirect(url_for(back_to))
    return page(form), 422


def _first_lines(message: str) -> list[str]:
    lines = message.splitlines() or [message]
    if len(lines) <= CSV_ERRORS_SHOWN:
        return lines
    return lines[:CSV_ERRORS_SHOWN] + [
        f"ほかに {len(lines) - CSV_ERRORS_SHOWN}件の誤りがあります（全{len(lines)}件のうち"
        f"最初の{CSV_ERRORS_SHOWN}件を表示しています）。何も取り込んでいません。"
    ]


# --- staff users -------------------------------------------------------------------------


@bp.route("/staff")
@admin_required
def staff_list():
    return render_template(
        "admin/staff.html",
        users=staff_admin.staff_users(current_actor()),
        role_labels=staff_admin.ROLE_LABELS,
        roles_order=list(staff_admin.ROLE_LABELS),
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@admin_required
def staff_user(staff_id: int | None = None):
    try:
        user = staff_admin.staff_user(current_actor(), staff_id) if staff_id else None
    except ServiceError as exc:
        return _refused(exc)
    form = StaffUserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.roles.data = sorted(user.role_set)
    if user is not None:
        form.login.data = user.login  # the login never changes
    if form.validate_on_submit():
        if user is None and not form.password.data:
            form.password.errors.append("新しい職員にはパスワードを設定してください。")
        else:
            try:
                saved = staff_admin.save_staff_user(current_actor(), form.to_data(), staff_id)
            except ServiceError as exc:
                (form.login if exc.status == 409 else form.roles).errors.append(exc.message)
            else:
                if saved.id == current_actor().staff_id:  # one's own new password: stay in
                    keep_own_staff_session(saved.id)
                flash(f"職員 {form.login.data} を保存しました。", "info")
                return redirect(url_for("admin.staff_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/staff_user.html", form=form, user=user), status
