"""Command-line interface: flask workflow|bpmn|clock|seed|dev ..."""

import re
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup

workflow_cli = AppGroup("workflow", help="Timers and the timer worker.")
bpmn_cli = AppGroup("bpmn", help="Validate and deploy BPMN diagrams.")
clock_cli = AppGroup("clock", help="The development clock.")
dev_cli = AppGroup("dev", help="Development helpers.")


@workflow_cli.command("tick")
def tick() -> None:
    """One worker pass: fire all due timers, deliver due mail, and exit."""
    from app.services.clock import load_offset
    from app.services.timers import worker_pass

    load_offset()
    result = worker_pass()
    click.echo(
        f"advanced {result.advanced} application(s), {len(result.failed)} incident(s), "
        f"{result.mails_sent} mail(s) sent"
    )


@workflow_cli.command("worker")
@click.option("--interval", type=float, default=None, help="Seconds between passes.")
@click.option("--max-passes", type=int, default=None, hidden=True, help="Stop after N passes.")
def worker(interval: float | None, max_passes: int | None) -> None:
    """Fire due timers and deliver mail in a loop until SIGTERM/SIGINT."""
    interval = interval or current_app.config["WORKER_INTERVAL_SECONDS"]
    stop = threading.Event()

    def on_signal(*_):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from app.gc_tuning import tune_for_serving

    tune_for_serving()
    click.echo(f"timer worker started (every {interval}s)")
    run_worker_loop(interval, stop, max_passes)
    click.echo("timer worker stopped")


MAX_BACKOFF_SECONDS = 60.0


def run_worker_loop(interval: float, stop: threading.Event, max_passes: int | None = None) -> None:
    """The worker's loop: one pass, then wait `interval` (interruptibly). A pass that fails
    (database gone, SMTP down, anything) is logged; the session is thrown away (a fresh
    connection next time) and the wait doubles up to a minute until a pass succeeds."""
    from app.services.clock import load_offset
    from app.services.health import default_worker_id, record_worker_pass
    from app.services.timers import worker_pass

    worker_id = default_worker_id()
    failures = passes = 0
    while not stop.is_set():
        try:
            load_offset()
            result = worker_pass(should_stop=stop.is_set)
            record_worker_pass(worker_id, result.seconds, result.lag_seconds, interval)
            if result.advanced or result.failed or result.mails_sent:
                click.echo(
                    f"advanced {result.advanced} application(s), {len(result.failed)} "
                    f"incident(s), {result.mails_sent} mail(s) sent"
                )
            failures = 0
        except Exception as exc:  # keep the loop alive; the next pass retries
            failures += 1
            current_app.logger.exception("worker pass failed (%s in a row): %s", failures, exc)
        finally:
            _discard_session()
        passes += 1
        if max_passes is not None and passes >= max_passes:
            break
        wait = interval if not failures else min(interval * 2**failures, MAX_BACKOFF_SECONDS)
        stop.wait(max(wait, 0.0))


def _discard_session() -> None:
    """End the pass's session even when its connection is dead (remove() would raise)."""
    from app.extensions import db

    try:
        db.session.rollback()
        db.session.remove()
    except Exception as exc:
        current_app.logger.warning("database session reset after error: %s", exc)
        try:
            db.session.registry.clear()
        except Exception:  # pragma: no cover - nothing more to do
            pass
        try:
            db.engine.dispose()  # every pooled connection may be as dead as this one
        except Exception as dispose_error:  # pragma: no cover
            current_app.logger.warning("connection pool not disposed: %s", dispose_error)


@bpmn_cli.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--alone", is_flag=True, help="FILES form the whole version (no merge with the latest)."
)
def deploy(files: tuple[str, ...], alone: bool) -> None:
    """Validate, then deploy FILES (default: every diagram in bpmn/) as a new version if changed.

    FILES replace the files of the latest version with the same name or the same processes."""
    from app.services.deploy import bpmn_paths
    from app.services.validation import deploy_checked, read_paths

    if not files:
        files, alone = bpmn_paths(current_app.config["BPMN_DIR"]), True
    chosen, problems = read_paths(files)
    if problems:
        _refuse(problems, "not deployed: ファイルを読めません（理由は上のとおり）")
    report, version, created = deploy_checked(chosen, "cli", alone)
    for problem in report.problems:
        click.echo(str(problem), err=problem.severity == "error")
    if version is None:
        click.echo(f"not deployed: {report.error_count} error(s)", err=True)
        sys.exit(1)
    state = "deployed" if created else "unchanged"
    click.echo(f"{state}: version {version.id} ({version.content_hash[:12]})")


@bpmn_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--alone", is_flag=True, help="Check FILES as the whole version (no merge).")
def validate(files: tuple[str, ...], alone: bool) -> None:
    """Check what deploying FILES would give; exit 0 when deployable, 1 otherwise."""
    from app.services.validation import check_paths

    report = check_paths(files, alone)
    for problem in report.problems:
        click.echo(str(problem))
    if not report.deployable:
        click.echo(f"NOT deployable: {report.error_count} error(s)")
        sys.exit(1)
    click.echo("OK: deployable")


@bpmn_cli.command("render")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--process", "process_id", default=None, help="Process id (default: the first).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
def render_svg(files: tuple[str, ...], process_id: str | None, output: str) -> None:
    """Draw the diagram of FILE (BPMN DI) as a standalone SVG."""
    from app.engine.render import Overlay, RenderError, render
    from app.services.analyst import LANE_LABELS
    from app.services.validation import read_paths, undrawable, unreadable

    chosen, problems = read_paths(files)
    problems += unreadable(chosen)
    if problems:
        _refuse(problems, "cannot render: ファイルを読めません（理由は上のとおり）")
    try:
        svg = render(chosen, process_id, Overlay(lane_labels=LANE_LABELS))
    except RenderError as exc:
        click.echo(f"cannot render: {undrawable(chosen, process_id, exc)}", err=True)
        sys.exit(1)
    Path(output).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, encoding="utf-8")
    click.echo(f"written: {output}")


def _refuse(problems: list, summary: str) -> NoReturn:
    """Print every problem (file:line: reason) and the summary, then exit 1: no traceback."""
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(summary, err=True)
    sys.exit(1)


DURATION = re.compile(r"^(\d+)([dhm])$")


@clock_cli.command("show")
def clock_show() -> None:
    from app import clock
    from app.services.clock import load_offset

    load_offset()
    click.echo(f"now (JST): {clock.now_jst():%Y-%m-%d %H:%M:%S}  offset: {clock.offset()}")


@clock_cli.command("forward")
@click.argument("amount")
def clock_forward(amount: str) -> None:
    """Move the clock forward by AMOUNT (e.g. 49h, 3d, 30m)."""
    from app import clock
    from app.services import Actor, ServiceError
    from app.services.clock import move_clock

    match = DURATION.match(amount)
    if not match or len(match.group(1)) > 9:
        raise click.BadParameter("use e.g. 49h, 3d or 30m")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    try:
        move_clock(Actor(kind="staff", label="cli"), timedelta(**{unit: int(match.group(1))}))
    except ServiceError as exc:  # e.g. outside development
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"now (JST): {clock.now_jst():%Y-%m-%d %H:%M:%S}")


@clock_cli.command("reset")
def clock_reset() -> None:
    from app.services import Actor, ServiceError
    from app.services.clock import reset_clock

    try:
        reset_clock(Actor(kind="staff", label="cli"))
    except ServiceError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo("clock reset to real time")


@click.command("seed")
@click.option("--reference-only", is_flag=True, help="Calendar, schedule and offices only.")
def seed(reference_only: bool) -> None:
    """Insert reference and demo data (idempotent)."""
    from app.services.seed import seed_demo, seed_reference_data

    if not reference_only and current_app.config.get("CONFIG_NAME") == "production":
        # The demo staff accounts have published passwords: never in production.
        click.echo(
            "本番設定ではデモデータ（公開済みパスワードの職員アカウント）は投入できません。"
            "--reference-only を付けて実行し、職員は flask admin staff で登録してください。",
            err=True,
        )
        sys.exit(2)

    counts = seed_reference_data() if reference_only else seed_demo()
    click.echo(", ".join(f"{k}: +{v}" for k, v in counts.items()))


@dev_cli.command("smtp")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=None)
def dev_smtp(host: str, port: int | None) -> None:
    """Run the local SMTP capture server; mails appear at /dev/mail."""
    import logging

    from app.devmail import serve

    # aiosmtpd logs every SMTP command at INFO: the console shows only problems.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = port or current_app.config["MAIL_PORT"]
    try:
        serve(host, port, current_app.config["MAILBOX_DIR"])
    except OSError as error:  # the port is taken (another catcher, another make run ...)
        raise click.ClickException(
            f"メール受信用のポート {host}:{port} を使用できません（{error.strerror or error}）。"
            f"MAIL_PORT={port + 1} make run のように、空いているポートを指定してください。"
        ) from error


def register_cli(app: Flask) -> None:
    for group in (workflow_cli, bpmn_cli, clock_cli, dev_cli):
        app.cli.add_command(group)
    app.cli.add_command(seed)
    from app.cli_admin import admin_cli

    app.cli.add_command(admin_cli)
    from app.cli_keys import keys_cli

    app.cli.add_command(keys_cli)
