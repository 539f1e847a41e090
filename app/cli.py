"""Command-line interface: flask workflow|bpmn|clock|seed|dev ..."""

import re
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

workflow_cli = AppGroup("workflow", help="Timers and the timer worker.")
bpmn_cli = AppGroup("bpmn", help="Validate and deploy BPMN diagrams.")
clock_cli = AppGroup("clock", help="The development clock.")
dev_cli = AppGroup("dev", help="Development helpers.")


@workflow_cli.command("tick")
def tick() -> None:
    """Fire all due timers once and exit."""
    from app.services.clock import load_offset
    from app.services.timers import fire_due_timers

    load_offset()
    click.echo(f"advanced {fire_due_timers()} application(s)")


@workflow_cli.command("worker")
@click.option("--interval", type=float, default=None, help="Seconds between passes.")
def worker(interval: float | None) -> None:
    """Fire due timers and deliver mail in a loop until stopped."""
    from app.extensions import db
    from app.services.clock import load_offset
    from app.services.timers import fire_due_timers

    interval = interval or current_app.config["WORKER_INTERVAL_SECONDS"]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"timer worker started (every {interval}s)")
    while not stopping:
        try:
            load_offset()
            advanced = fire_due_timers()
            if advanced:
                click.echo(f"advanced {advanced} application(s)")
        except Exception as exc:  # keep the loop alive; the next pass retries
            current_app.logger.exception("worker pass failed: %s", exc)
            db.session.rollback()
        finally:
            db.session.remove()
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)


@bpmn_cli.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def deploy(files: tuple[str, ...]) -> None:
    """Deploy FILES (default: every diagram in bpmn/) as a new version if changed."""
    from app.services.deploy import deploy_files, deploy_repository

    if files:
        version, created = deploy_files(
            {Path(f).name: Path(f).read_text(encoding="utf-8") for f in files}, "cli"
        )
    else:
        version, created = deploy_repository("cli")
    state = "deployed" if created else "unchanged"
    click.echo(f"{state}: version {version.id} ({version.content_hash[:12]})")


@bpmn_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check FILES against the product's BPMN contract; exit 1 when not deployable."""
    from app.services.validation import validate_files

    problems = validate_files({Path(f).name: Path(f).read_text(encoding="utf-8") for f in files})
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo("OK: deployable")


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
    from app.services import Actor
    from app.services.clock import move_clock

    match = DURATION.match(amount)
    if not match:
        raise click.BadParameter("use e.g. 49h, 3d or 30m")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    move_clock(Actor(kind="staff", label="cli"), timedelta(**{unit: int(match.group(1))}))
    click.echo(f"now (JST): {clock.now_jst():%Y-%m-%d %H:%M:%S}")


@clock_cli.command("reset")
def clock_reset() -> None:
    from app.services import Actor
    from app.services.clock import reset_clock

    reset_clock(Actor(kind="staff", label="cli"))
    click.echo("clock reset to real time")


@click.command("seed")
@click.option("--reference-only", is_flag=True, help="Calendar, schedule and offices only.")
def seed(reference_only: bool) -> None:
    """Insert reference and demo data (idempotent)."""
    from app.services.seed import seed_demo, seed_reference_data

    counts = seed_reference_data() if reference_only else seed_demo()
    click.echo(", ".join(f"{k}: +{v}" for k, v in counts.items()))


@dev_cli.command("smtp")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=None)
def dev_smtp(host: str, port: int | None) -> None:
    """Run the local SMTP capture server; mails appear at /dev/mail."""
    from app.devmail import serve

    serve(host, port or current_app.config["MAIL_PORT"], current_app.config["MAILBOX_DIR"])


def register_cli(app: Flask) -> None:
    for group in (workflow_cli, bpmn_cli, clock_cli, dev_cli):
        app.cli.add_command(group)
    app.cli.add_command(seed)
