"""Uploads and `flask bpmn`: unreadable, oversized and process-less files get clear reasons (finding 11)."""

import builtins
import os
from io import BytesIO
from pathlib import Path

import pytest

import app.services.validation as validation
from app.engine.diagram import MAX_BYTES
from tests.helpers import csrf_token

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

NOT_EXECUTABLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs" targetNamespace="http://example.jp/bpmn">
  <bpmn:process id="documentation_only" name="説明用" isExecutable="false">
    <bpmn:startEvent id="start" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
NO_PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs" targetNamespace="http://example.jp/bpmn" />
"""


@pytest.fixture
def garbage(tmp_path) -> Path:
    path = tmp_path / "garbage.bpmn"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81" + os.urandom(4096))
    return path


def _clean(result) -> str:
    """The output, asserting the command ended by itself (no exception, no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "UnicodeDecodeError" not in result.output
    return result.output


@pytest.mark.parametrize("command", ["validate", "render", "deploy"])
def test_binary_garbage_is_refused_with_a_reason(app, runner, garbage, tmp_path, command):
    args = ["bpmn", command, str(garbage)]
    if command == "render":
        args += ["-o", str(tmp_path / "out.svg")]
    result = runner.invoke(args=args)
    output = _clean(result)
    assert result.exit_code == 1
    assert "garbage.bpmn: 文字コードが UTF-8 ではありません" in output
    assert "no diagram" not in output
    assert not (tmp_path / "out.svg").exists()


def test_render_of_a_refused_file_gives_the_real_reason(app, runner, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions><unclosed>", encoding="utf-8")
    result = runner.invoke(args=["bpmn", "render", str(broken), "-o", str(tmp_path / "o.svg")])
    output = _clean(result)
    assert result.exit_code == 1
    assert "broken.bpmn:1: XML の書式が正しくありません" in output and "no diagram" not in output
    doctype = tmp_path / "doctype.bpmn"
    doctype.write_text('<!DOCTYPE x [<!ENTITY e "e">]><x/>', encoding="utf-8")
    result = runner.invoke(args=["bpmn", "render", str(doctype), "-o", str(tmp_path / "o.svg")])
    assert (
        result.exit_code == 1 and "DOCTYPE・ENTITY 宣言は安全のため受け付けません" in result.output
    )


def test_render_explains_a_missing_process_or_diagram(app, runner, tmp_path):
    out = str(tmp_path / "o.svg")
    review = str(BPMN_DIR / "review.bpmn")
    result = runner.invoke(args=["bpmn", "render", review, "--process", "nope", "-o", out])
    assert result.exit_code == 1
    assert "プロセス 'nope' はどのファイルにもありません（あるプロセス: review）" in _clean(result)
    no_di = tmp_path / "no_di.bpmn"
    no_di.write_text(NOT_EXECUTABLE, encoding="utf-8")
    result = runner.invoke(args=["bpmn", "render", str(no_di), "-o", out])
    assert result.exit_code == 1 and "図（BPMN DI）がないか" in _clean(result)
    empty = tmp_path / "empty.bpmn"
    empty.write_text(NO_PROCESS, encoding="utf-8")
    result = runner.invoke(args=["bpmn", "render", str(empty), "-o", out])
    assert result.exit_code == 1 and "ファイルにプロセスがありません" in _clean(result)


def test_a_huge_file_is_not_read_whole(app, runner, tmp_path, monkeypatch):
    huge = tmp_path / "huge.bpmn"
    with open(huge, "wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # 20 MB (sparse: cheap to make)
    reads: list[int] = []

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            data = self.handle.read(size)
            reads.append(len(data))
            return data

    monkeypatch.setattr(
        validation, "open", lambda *a, **k: Spy(builtins.open(*a, **k)), raising=False
    )
    for command in ("validate", "deploy"):
        reads.clear()
        result = runner.invoke(args=["bpmn", command, str(huge)])
        assert result.exit_code == 1
        assert "huge.bpmn: ファイルが大きすぎます（上限 5 MB）" in _clean(result)
        assert reads and max(reads) <= MAX_BYTES + 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (NOT_EXECUTABLE, "実行できるプロセスがありません"),
        (NO_PROCESS, "プロセスが1つもありません"),
    ],
)
def test_a_file_without_executable_process_is_not_deployable(
    app, runner, analyst, tmp_path, text, reason
):
    path = tmp_path / "extra.bpmn"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["bpmn", "validate", str(path)])
    output = _clean(result)
    assert result.exit_code == 1, output
    assert f"extra.bpmn:2: {reason}" in output and "OK: deployable" not in output
    result = runner.invoke(args=["bpmn", "deploy", str(path)])
    assert result.exit_code == 1 and "not deployed" in result.output

    page = analyst.get("/analyst/upload").get_data(as_text=True)
    response = analyst.post(
        "/analyst/upload",
        data={
            "files": [(BytesIO(text.encode()), "extra.bpmn")],
            "csrf_token": csrf_token(page),
            "check": "1",
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "配備できません" in html and reason in html and 'data-code="no_executable"' in html


def test_the_repository_diagrams_still_validate(app, runner):
    files = [str(p) for p in sorted(BPMN_DIR.glob("*.bpmn"))]
    result = runner.invoke(args=["bpmn", "validate", *files])
    assert result.exit_code == 0 and "OK: deployable" in _clean(result)
    result = runner.invoke(args=["bpmn", "validate", "--alone", *files])
    assert result.exit_code == 0, result.output


def test_uploaded_garbage_is_reported_beside_the_upload(app, analyst):
    page = analyst.get("/analyst/upload").get_data(as_text=True)
    response = analyst.post(
        "/analyst/upload",
        data={
            "files": [(BytesIO(b"\xff\xfe\x00garbage" * 100), "garbage.bpmn")],
            "csrf_token": csrf_token(page),
            "check": "1",
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "文字コードが UTF-8 ではありません" in html and "配備できません" in html
