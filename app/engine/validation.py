"""Checks a set of BPMN files against the engine and the product's contract before deploy."""

from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.engine.expressions import check_expression, iso_literal
from app.engine.specs import ProductParser

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {self.message}"


def safe_parser() -> etree.XMLParser:
    # No entities, no network, no DTD: uploaded XML must not reach outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def validate(
    files: dict[str, str], form_keys: set[str], roles: set[str], topics: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    trees = {}
    for name, text in sorted(files.items()):
        if len(text.encode("utf-8")) > MAX_BYTES:
            problems.append(Problem(name, None, None, "file is larger than 5 MB"))
            continue
        try:
            trees[name] = etree.fromstring(text.encode("utf-8"), safe_parser())
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(name, exc.lineno, None, f"XML is not well-formed: {exc.msg}"))
    if problems:
        return problems
    process_ids = {
        p.get("id") for tree in trees.values() for p in tree.iterfind("bpmn:process", NS)
    }
    for name, tree in trees.items():
        if tree.tag != f"{{{BPMN}}}definitions":
            problems.append(
                Problem(
                    name,
                    tree.sourceline,
                    None,
                    "not a BPMN 2.0 file (root is not bpmn:definitions)",
                )
            )
            continue
        problems.extend(_contract(name, tree, form_keys, roles, topics, process_ids))
    if problems:
        return problems
    problems.extend(_engine(files))
    return problems


def _contract(name, tree, form_keys, roles, topics, process_ids) -> list[Problem]:
    problems = []

    def add(node, message):
        problems.append(Problem(name, node.sourceline, node.get("id"), message))

    for task in tree.iterfind(".//bpmn:userTask", NS):
        key = task.get(f"{{{CAMUNDA}}}formKey")
        if not key:
            add(task, "user task has no camunda:formKey naming its form")
        elif key not in form_keys:
            add(task, f"form key '{key}' has no form in forms/")
    for lane in tree.iterfind(".//bpmn:lane", NS):
        if (lane.get("name") or "").strip() not in roles:
            add(
                lane,
                f"lane '{lane.get('name')}' maps to no role (use one of: {', '.join(sorted(roles))})",
            )
    for task in tree.iterfind(".//bpmn:serviceTask", NS):
        topic = task.get(f"{{{CAMUNDA}}}topic")
        if topic not in topics:
            add(
                task,
                f"service task topic '{topic}' is not implemented (known: {', '.join(sorted(topics))})",
            )
    for timer in tree.iterfind(".//bpmn:timerEventDefinition", NS):
        for child in timer:
            reason = _timer_problem(child.text or "")
            if reason:
                add(timer.getparent(), f"timer definition '{(child.text or '').strip()}' {reason}")
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None:
            reason = check_expression(condition.text or "")
            if reason:
                add(
                    flow,
                    f"condition '{(condition.text or '').strip()}' is not a valid expression: {reason}",
                )
    for call in tree.iterfind(".//bpmn:callActivity", NS):
        if call.get("calledElement") not in process_ids:
            add(call, f"called process '{call.get('calledElement')}' is not among the files")
    return problems


def _timer_problem(text: str) -> str | None:
    literal = iso_literal(text)
    if literal is None:
        reason = check_expression(text)
        return f"is neither ISO 8601 nor a valid expression: {reason}" if reason else None
    try:
        if literal.upper().startswith("R"):
            TimerEventDefinition.parse_iso_recurring_interval(literal)
        else:
            TimerEventDefinition.parse_time_or_duration(literal)
    except Exception:
        return "is not a valid ISO 8601 date, duration or cycle"
    return None


def _engine(files: dict[str, str]) -> list[Problem]:
    parser = ProductParser()
    problems = []
    try:
        for name in sorted(files):
            parser.add_bpmn_str(files[name].encode("utf-8"), filename=name)
        for process_id in parser.get_process_ids():
            parser.get_spec(process_id)
    except ValidationException as exc:
        problems.append(
            Problem(
                getattr(exc, "file_name", "") or "?",
                getattr(exc, "line_number", None) or None,
                getattr(exc, "id", None),
                str(exc).splitlines()[0],
            )
        )
    except Exception as exc:  # the engine refused something the checks above did not catch
        problems.append(Problem("?", None, None, f"the engine cannot load the diagrams: {exc}"))
    return problems
