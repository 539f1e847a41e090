"""Checks a set of BPMN files against BPMN 2.0, the engine and the product's contract before deploy."""

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from app.engine.diagram import (
    BPMN,
    MAX_FILES,
    NS,
    Process,
    XmlError,
    parse_xml,
    processes,
)
from app.engine.expressions import expression_budget
from app.engine.specs import ProductParser
from app.engine.validation_rules import ProcessCheck

PREFIXES = {uri: prefix for prefix, uri in NS.items()}
# Seconds all trial evaluations of one upload may take together, however many processes it has.
BUNDLE_BUDGET = 15.0


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element_id: str | None
    message: str
    code: str = "engine"
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "(bundle)")
        element = f" [{self.element_id}]" if self.element_id else ""
        level = "" if self.severity == "error" else " (warning)"
        return f"{where}{element}{level}: {self.message}"


@dataclass(frozen=True)
class Contract:
    """What the product provides: forms, roles (lane name -> label), service topics, main process."""

    form_keys: frozenset[str]
    roles: dict[str, str]
    topics: frozenset[str]
    main_process: str | None = None
    machine_roles: frozenset[str] = frozenset({"system"})
    # camunda:properties: allowed values by property name, and properties a topic needs.
    property_values: dict[str, frozenset[str]] = field(default_factory=dict)
    required_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # topic -> property name -> check(value) returning a Japanese reason when the value is wrong.
    property_checks: dict[str, dict[str, Callable[[str], str | None]]] = field(default_factory=dict)
    # Processes the worker runs on their own (no application), checked like the main one.
    housekeeping: frozenset[str] = frozenset()


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def validate(files: dict[str, str | bytes], contract: Contract) -> list[Problem]:
    """Every problem of the bundle, in file order; deployable when no problem is an error."""
    # Each process has its own expression budget; the whole upload shares this one on top.
    with expression_budget(BUNDLE_BUDGET):
        return _validate(files, contract)


def _validate(files: dict[str, str | bytes], contract: Contract) -> list[Problem]:
    problems: list[Problem] = []
    if len(files) > MAX_FILES:
        return [Problem("", None, None, f"ファイルが多すぎます（上限 {MAX_FILES}）。", "size")]
    trees = {}
    for name, text in sorted(files.items()):
        try:
            root = parse_xml(text)
        except XmlError as exc:
            problems.append(Problem(name, exc.line, None, exc.message, "xml"))
            continue
        if root.tag != f"{{{BPMN}}}definitions":
            problems.append(
                Problem(
                    name,
                    root.sourceline,
                    None,
                    f"BPMN 2.0 のファイルではありません（ルート要素が {_short(root.tag)} です。"
                    "bpmn:definitions であるべきです）。",
                    "not_bpmn",
                )
            )
            continue
        problems.extend(_schema(name, root))
        trees[name] = root
    if problems:
        return problems  # unreadable files first: everything else would be guesswork
    procs = processes(trees)
    problems.extend(_duplicates(procs))
    in_play = _in_play(procs, contract, problems)
    playing = {id(p) for p in in_play}
    for process in procs:
        if process.executable and id(process) not in playing and contract.main_process:
            problems.append(
                Problem(
                    process.file,
                    process.element.sourceline,
                    process.id,
                    f"プロセス「{process.name or process.id}」は主プロセスから呼び出されないため実行されません"
                    "（規約の検証もしていません）。",
                    "not_called",
                    "warning",
                )
            )
    for process in in_play:
        for element, message, code in ProcessCheck(process, contract).run():
            problems.append(_at(process, element, message, code))
        if not _has_shapes(trees[process.file], process):
            problems.append(
                Problem(
                    process.file,
                    process.element.sourceline,
                    process.id,
                    "図（BPMN DI）がないため画面に表示できません。モデラーで開いて保存し直してください。",
                    "di",
                    "warning",
                )
            )
    if not errors(problems):
        problems.extend(_engine(files, [p.id for p in in_play], trees))
    return problems


def _has_shapes(root, process: Process) -> bool:
    return any(
        shape.get("bpmnElement") in process.nodes
        for shape in root.iterfind(".//bpmndi:BPMNShape", NS)
    )


def _short(tag: str) -> str:
    for uri, prefix in PREFIXES.items():
        tag = tag.replace("{" + uri + "}", prefix + ":")
    return tag


@lru_cache(maxsize=1)
def _xsd() -> etree.XMLSchema:
    with open(XSD_PATH, "rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


_XSD_LOCK = threading.Lock()


def _schema(name: str, root) -> list[Problem]:
    document = root
    retrieval = ".//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression"
    if root.find(retrieval, NS) is not None:
        # bpmn-js writes this element where the schema wants messagePath; accept it as written.
        document = copy.deepcopy(root)
        for element in document.iterfind(retrieval, NS):
            element.tag = f"{{{BPMN}}}messagePath"
    with _XSD_LOCK:
        schema = _xsd()
        valid = schema.validate(document)
        log = list(schema.error_log)
    if valid:
        return []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    by_line: dict[int, str] = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            by_line.setdefault(element.sourceline, element.get("id"))
    return [
        Problem(name, e.line, by_line.get(e.line), _plain_schema(e.message, ids), "schema")
        for e in log[:20]
    ]


def _plain_schema(message: str, ids: set[str]) -> str:
    text = _short(message)
    if m := re.match(r"Element '([^']+)': This element is not expected", text):
        return f"要素 {m[1]} はここに置けません（BPMN 2.0 にない要素か、並び順が違います）。"
    if m := re.match(
        r"Element '([^']+)', attribute '([^']+)': The attribute .* is not allowed", text
    ):
        return f"要素 {m[1]} に属性 {m[2]} は使えません（BPMN 2.0 にない属性です）。"
    if m := re.match(
        r"Element '[^']+', attribute 'id': '([^']*)' is not a valid value .*xs:ID", text
    ):
        if m[1] in ids:
            return f"id '{m[1]}' が同じファイルの中で重複しています。"
        return f"id '{m[1]}' は使えません（英字か _ で始め、空白や記号を含めないでください）。"
    if m := re.match(r"Element '([^']+)': The attribute '([^']+)' is required but missing", text):
        return f"要素 {m[1]} に必須の属性 {m[2]} がありません。"
    if m := re.match(r"Element '([^']+)': Missing child element", text):
        return f"要素 {m[1]} に必要な子要素がありません。"
    if m := re.match(
        r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the "
        r"atomic type 'xs:(\w+)'",
        text,
    ):
        kind = {"boolean": "true か false", "integer": "整数", "ID": "id", "IDREF": "id の参照"}
        expected = kind.get(m[4], m[4])
        return (
            f"要素 {m[1]} の属性 {m[2]} の値 '{m[3]}' が正しくありません（{expected} で書きます）。"
        )
    if m := re.match(r"Element '([^']+)': Character content other than whitespace", text):
        return f"要素 {m[1]} の中に文字は書けません（子要素だけを置けます）。"
    return f"BPMN 2.0 スキーマに合いません（原文: {text}）"


def _duplicates(procs: list[Process]) -> list[Problem]:
    seen: dict[str, Process] = {}
    problems = []
    for process in procs:
        first = seen.setdefault(process.id, process)
        if first is not process:
            problems.append(
                Problem(
                    process.file,
                    process.element.sourceline,
                    process.id,
                    f"プロセス id '{process.id}' は {first.file} でも定義されています。"
                    "同じプロセスを2つのファイルに置くことはできません。",
                    "duplicate_process",
                )
            )
    return problems


def _in_play(procs: list[Process], contract: Contract, problems: list[Problem]) -> list[Process]:
    """The main process and every process it calls; other pools are documentation only."""
    by_id = {p.id: p for p in reversed(procs)}
    if contract.main_process:
        if contract.main_process not in by_id:
            problems.append(
                Problem(
                    "",
                    None,
                    contract.main_process,
                    f"主プロセス '{contract.main_process}' がどのファイルにもありません。",
                    "main_process",
                )
            )
            return []
        todo = [contract.main_process, *sorted(contract.housekeeping & set(by_id))]
    else:
        todo = [p.id for p in procs if p.executable]
    result: list[Process] = []
    while todo:
        process = by_id[todo.pop(0)]
        if any(process is seen for seen in result):
            continue
        result.append(process)
        if not process.executable:
            problems.append(
                Problem(
                    process.file,
                    process.element.sourceline,
                    process.id,
                    '実行するプロセスが「実行不可」（isExecutable="false"）です。'
                    "モデラーで Executable にチェックを入れてください。",
                    "not_executable",
                )
            )
        for node in process.nodes.values():
            called = node.element.get("calledElement") if node.kind == "callActivity" else None
            if node.kind == "callActivity" and called not in by_id:
                problems.append(
                    _at(
                        process,
                        node.element,
                        f"呼び出すプロセス '{called or ''}' がどのファイルにもありません"
                        "（Called element のプロセス id を確認してください）。",
                        "called_process",
                    )
                )
            elif called:
                todo.append(called)
    return result


def _at(process: Process, element, message: str, code: str) -> Problem:
    return Problem(process.file, element.sourceline, element.get("id"), message, code)


def _engine(files: dict[str, str | bytes], process_ids: list[str], trees: dict) -> list[Problem]:
    """Last word: the engine itself must build every process that will run."""
    parser = ProductParser()
    try:
        for name in sorted(files):
            data = files[name]
            parser.add_bpmn_str(
                data.encode("utf-8") if isinstance(data, str) else data, filename=name
            )
        for process_id in process_ids:
            parser.get_spec(process_id)
    except ValidationException as exc:
        file = getattr(exc, "file_name", "") or ""
        element_id = getattr(exc, "id", None) or None
        line = getattr(exc, "line_number", None) or None
        if not line and element_id and file in trees:
            found = trees[file].xpath("//*[@id=$id]", id=element_id)
            line = found[0].sourceline if found else None
        return [
            Problem(
                file,
                line,
                element_id,
                f"エンジンが読み込めません: {str(exc).splitlines()[0]}",
                "engine",
            )
        ]
    except Exception as exc:  # the engine refused something the checks above did not catch
        return [Problem("", None, None, f"エンジンが読み込めません: {exc}", "engine")]
    return []
