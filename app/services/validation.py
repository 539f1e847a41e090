"""Validation of diagrams against this product's forms, roles and service topics, before deploy."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from flask import current_app, has_app_context
from sqlalchemy.exc import SQLAlchemyError

from app.engine import store
from app.engine.diagram import BPMN, MAX_BYTES, MAX_FILES, NS, XmlError, parse_xml
from app.engine.validation import Contract, Problem, errors, validate
from app.extensions import db
from app.models import ProcessVersion
from app.services.actions import HANDLERS
from app.services.deploy import deploy_files
from app.services.housekeeping import PROCESSES as HOUSEKEEPING

# Lane names are role keys; the label is what people read.
ROLES = {
    "applicant": "申込者",
    "reviewer": "審査担当",
    "operator": "設定作業担当",
    "system": "システム",
}
SUFFIXES = (".bpmn", ".bpmn20.xml", ".xml")
SAFE_NAME = re.compile(r"^[\w.\-]+$")


@dataclass
class Report:
    """The outcome of validating a bundle: the files checked and every problem found."""

    files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    base_version: int | None = None  # the deployed version the upload was merged over
    replaced: list[str] = field(default_factory=list)

    @property
    def deployable(self) -> bool:
        return bool(self.files) and not errors(self.problems)

    @property
    def error_count(self) -> int:
        return len(errors(self.problems))


def contract(main_process: str | None = None) -> Contract:
    from app.mailer import SUBJECTS
    from app.services.digest import time_problem
    from app.services.views import STATUS_LABELS
    from forms import FORMS

    return Contract(
        frozenset(FORMS),
        ROLES,
        frozenset(HANDLERS),
        main_process,
        property_values={"template": frozenset(SUBJECTS), "status": frozenset(STATUS_LABELS)},
        required_properties={"send_mail": ("template",)},
        property_checks={"schedule_reviewer_digest": {"time": time_problem}},
        housekeeping=frozenset(HOUSEKEEPING),
    )


def main_process_id() -> str | None:
    return current_app.config["MAIN_PROCESS_ID"] if has_app_context() else None


def validate_files(files: dict[str, str], main_process: str | None = None) -> list[Problem]:
    """Problems of exactly these files taken as one bundle."""
    return validate(files, contract(main_process))


def read_uploads(uploads: list[tuple[str, bytes]]) -> tuple[dict[str, str], list[Problem]]:
    """Decode uploaded files (name, bytes): safe names, UTF-8, size and count limits."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    if len(uploads) > MAX_FILES:
        return {}, [Problem("", None, None, f"ファイルが多すぎます（上限 {MAX_FILES}）。", "size")]
    for raw_name, data in uploads:
        name = PureWindowsPath(PurePosixPath(raw_name or "").name).name
        if not name or not SAFE_NAME.match(name) or not name.lower().endswith(SUFFIXES):
            problems.append(
                Problem(
                    name or "(名前なし)",
                    None,
                    None,
                    "ファイル名は英数字・「_」「-」「.」で、拡張子 .bpmn のものにしてください。",
                    "name",
                )
            )
            continue
        if len(data) > MAX_BYTES:
            message = f"ファイルが大きすぎます（上限 {MAX_BYTES // (1024 * 1024)} MB）。"
            problems.append(Problem(name, None, None, message, "size"))
            continue
        try:
            files[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            message = "文字コードが UTF-8 ではありません（モデラーで保存し直してください）。"
            problems.append(Problem(name, None, None, message, "xml"))
    return files, problems


def read_paths(paths: Iterable[str]) -> tuple[dict[str, str], list[Problem]]:
    """Files named on the command line, checked as uploads: never more than the size limit (+1
    byte, to tell) is read, and unreadable bytes become problems, not exceptions."""
    uploads: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                uploads.append((Path(path).name, handle.read(MAX_BYTES + 1)))
        except OSError as exc:
            message = f"ファイルを読めません（{exc.strerror or exc}）。"
            problems.append(Problem(Path(path).name, None, None, message, "read"))
    files, found = read_uploads(uploads)
    return files, problems + found


def check_paths(paths: Iterable[str], alone: bool = False) -> Report:
    """check_bundle over files on disk; files that cannot be read are errors of the report."""
    files, problems = read_paths(paths)
    report = check_bundle(files, alone) if files else Report()
    report.problems[:0] = problems
    return report


def unreadable(files: dict[str, str]) -> list[Problem]:
    """Why each file that is not a readable BPMN document cannot be used (empty when all are)."""
    problems = []
    for name, text in sorted(files.items()):
        try:
            root = parse_xml(text)
        except XmlError as exc:
            problems.append(Problem(name, exc.line, None, exc.message, "xml"))
            continue
        if root.tag != f"{{{BPMN}}}definitions":
            message = "BPMN 2.0 のファイルではありません（ルート要素が bpmn:definitions ではありません）。"
            problems.append(Problem(name, root.sourceline, None, message, "not_bpmn"))
    return problems


def undrawable(files: dict[str, str], process_id: str | None, error: Exception) -> str:
    """Why the renderer drew nothing, in words an analyst can act on."""
    defined = set().union(*(process_ids(text) for text in files.values())) if files else set()
    if process_id and process_id not in defined:
        known = "、".join(sorted(defined)) or "なし"
        return f"プロセス '{process_id}' はどのファイルにもありません（あるプロセス: {known}）。"
    if not defined:
        return "ファイルにプロセスがありません。"
    return (
        "図（BPMN DI）がないか、図に要素がないため描画できません。"
        f"モデラーで開いて保存し直してください。（{error}）"
    )


def without_executable_process(uploaded: dict[str, str]) -> list[Problem]:
    """An uploaded file must define at least one executable process: a file of documentation
    pools only (isExecutable="false" everywhere) or of no process at all deploys nothing."""
    problems = []
    for name, text in sorted(uploaded.items()):
        try:
            root = parse_xml(text)
        except XmlError:
            continue  # validate() reports why
        if root.tag != f"{{{BPMN}}}definitions":
            continue
        found = list(root.iterfind("bpmn:process", NS))
        if any(p.get("isExecutable", "true") != "false" for p in found):
            continue
        message = (
            '実行できるプロセスがありません（すべてのプロセスが「実行不可」（isExecutable="false"）'
            "です。モデラーで Executable にチェックを入れてください）。"
            if found
            else "プロセスが1つもありません（配備しても何も実行されません）。"
        )
        problems.append(Problem(name, root.sourceline, None, message, "no_executable"))
    return problems


def process_ids(text: str) -> set[str]:
    try:
        root = parse_xml(text)
    except XmlError:
        return set()
    return {p.get("id") for p in root.iterfind("bpmn:process", NS) if p.get("id")}


def merge(base: dict[str, str], uploaded: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The deployed files with the uploaded ones in place of those they replace (same file name,
    or a file whose processes the upload now defines); returns (bundle, replaced names)."""
    defined = set().union(*(process_ids(text) for text in uploaded.values()))
    replaced = []
    bundle = {}
    for name, text in base.items():
        ids = process_ids(text)
        if name in uploaded or (ids and ids <= defined):
            replaced.append(name)
        else:
            bundle[name] = text
    bundle.update(uploaded)
    return bundle, sorted(replaced)


def latest_files() -> tuple[int | None, dict[str, str]]:
    """The files of the newest deployed version (none when nothing is deployed yet)."""
    try:
        version = store.latest_version(current_app.config["MAIN_PROCESS_ID"])
    except SQLAlchemyError:  # no database yet (e.g. validating before `flask db upgrade`)
        db.session.rollback()
        return None, {}
    return (version.id, dict(version.files)) if version else (None, {})


def check_bundle(uploaded: dict[str, str], alone: bool = False) -> Report:
    """Validate what deploying `uploaded` would produce: alone, or merged over the latest version."""
    report = Report()
    if not uploaded:
        report.problems.append(Problem("", None, None, "ファイルが選ばれていません。", "empty"))
        return report
    if alone:
        report.files = dict(uploaded)
    else:
        report.base_version, base = latest_files()
        report.files, report.replaced = merge(base, uploaded)
    report.problems = validate(report.files, contract(main_process_id()))
    flagged = {p.file for p in report.problems if p.code == "not_executable"}
    report.problems.extend(p for p in without_executable_process(uploaded) if p.file not in flagged)
    return report


def deploy_checked(
    uploaded: dict[str, str], deployed_by: str, alone: bool = False
) -> tuple[Report, ProcessVersion | None, bool]:
    """Validate, then deploy only a deployable bundle; returns (report, version, created)."""
    report = check_bundle(uploaded, alone)
    if not report.deployable:
        return report, None, False
    version, created = deploy_files(report.files, deployed_by)
    return report, version, created
