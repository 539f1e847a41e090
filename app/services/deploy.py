"""Deploying the diagrams of bpmn/ (or uploaded files) as a new process version."""

from pathlib import Path

from flask import current_app

from app.engine import store
from app.extensions import db
from app.models import ProcessVersion
from app.services.unit import audit


def bpmn_paths(directory: str | Path) -> list[str]:
    """The diagrams of a directory (bpmn/), in name order."""
    return [str(p) for p in sorted(Path(directory).glob("*.bpmn"))]


def read_directory(directory: str | Path) -> dict[str, str]:
    return {Path(p).name: Path(p).read_text(encoding="utf-8") for p in bpmn_paths(directory)}


def deploy_files(files: dict[str, str], deployed_by: str) -> tuple[ProcessVersion, bool]:
    """Deploy unless identical content is already deployed; returns (version, created)."""
    version, created = store.deploy(files, current_app.config["MAIN_PROCESS_ID"], deployed_by)
    if created:
        audit(None, deployed_by, "version_deployed", version=version.id, hash=version.content_hash)
    db.session.commit()
    return version, created


def deploy_repository(deployed_by: str = "system") -> tuple[ProcessVersion, bool]:
    return deploy_files(read_directory(current_app.config["BPMN_DIR"]), deployed_by)
