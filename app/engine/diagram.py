"""Safe parsing of uploaded BPMN XML and a small read-only model of its processes and flows."""

from dataclasses import dataclass, field

from lxml import etree

from app.engine.xml_messages import japanese_syntax_error

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "camunda": CAMUNDA}

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 50

# Flow nodes: everything a sequence flow may connect, by local tag name.
ACTIVITIES = {
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "manualTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
}
EVENTS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}
GATEWAYS = {
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}


class XmlError(Exception):
    """The bytes are not a safe, well-formed XML document."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def safe_parser() -> etree.XMLParser:
    # No entities, no DTD, no network: uploaded XML must not reach outside or expand.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
    )


def parse_xml(data: str | bytes) -> etree._Element:
    """Parse one uploaded document; raise XmlError with a Japanese reason and line."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise XmlError(f"ファイルが大きすぎます（上限 {MAX_BYTES // (1024 * 1024)} MB）。")
    upper = raw.upper()
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        if marker in upper:
            line = raw[: upper.find(marker)].count(b"\n") + 1
            raise XmlError("DOCTYPE・ENTITY 宣言は安全のため受け付けません。", line)
    try:
        return etree.fromstring(raw, safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = (exc.position or (exc.lineno, None))[:2]
        raise XmlError(japanese_syntax_error(exc.msg, line, column), exc.lineno) from exc


def local(element: etree._Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def in_bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith("{" + BPMN + "}")


def camunda(element: etree._Element, name: str) -> str | None:
    return element.get(f"{{{CAMUNDA}}}{name}")


@dataclass
class Node:
    id: str
    kind: str
    name: str
    element: object
    parent: str  # the process or sub-process that contains it

    @property
    def label(self) -> str:
        return " ".join(self.name.split()) or self.id


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str
    condition: object | None  # the bpmn:conditionExpression element
    element: object


@dataclass
class Process:
    id: str
    name: str
    file: str
    executable: bool
    element: object
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    lanes: dict[str, str] = field(default_factory=dict)  # node id -> lane name

    def outgoing(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.source == node_id]

    def incoming(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.target == node_id]

    def called(self) -> set[str]:
        return {
            n.element.get("calledElement")
            for n in self.nodes.values()
            if n.kind == "callActivity" and n.element.get("calledElement")
        }


def read_process(element: etree._Element, file: str) -> Process:
    process = Process(
        id=element.get("id") or "",
        name=element.get("name") or "",
        file=file,
        executable=element.get("isExecutable", "true") != "false",
        element=element,
    )
    _collect(process, element, process.id)
    for lane in element.iterfind(".//bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            process.lanes[(ref.text or "").strip()] = (lane.get("name") or "").strip()
    return process


def _collect(process: Process, container, parent_id: str) -> None:
    for child in container:
        if not in_bpmn(child):
            continue
        kind = local(child)
        if kind in FLOW_NODES:
            node_id = child.get("id") or ""
            process.nodes[node_id] = Node(node_id, kind, child.get("name") or "", child, parent_id)
            if kind in CONTAINERS:
                _collect(process, child, node_id)
        elif kind == "sequenceFlow":
            flow_id = child.get("id") or f"(line {child.sourceline})"
            process.flows[flow_id] = Flow(
                id=flow_id,
                source=child.get("sourceRef") or "",
                target=child.get("targetRef") or "",
                name=child.get("name") or "",
                condition=child.find("bpmn:conditionExpression", NS),
                element=child,
            )


def processes(trees: dict[str, etree._Element]) -> list[Process]:
    """Every bpmn:process of every document, in file order."""
    return [
        read_process(element, name)
        for name, root in trees.items()
        for element in root.iterfind("bpmn:process", NS)
    ]


def participants(root: etree._Element) -> dict[str, str]:
    """Participant id -> process id, for collaboration diagrams."""
    return {
        p.get("id"): p.get("processRef") or ""
        for p in root.iterfind("bpmn:collaboration/bpmn:participant", NS)
    }


def reachable(process: Process) -> set[str]:
    """Ids of the flow nodes a token can reach from the start events (sub-processes included)."""
    attached: dict[str, list[str]] = {}
    for node in process.nodes.values():
        if node.kind == "boundaryEvent":
            attached.setdefault(node.element.get("attachedToRef") or "", []).append(node.id)
    starts = [
        n.id for n in process.nodes.values() if n.kind == "startEvent" and n.parent == process.id
    ]
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        current = todo.pop()
        if current in seen or current not in process.nodes:
            continue
        seen.add(current)
        todo.extend(f.target for f in process.outgoing(current))
        todo.extend(attached.get(current, []))
        if process.nodes[current].kind in CONTAINERS:
            todo.extend(
                n.id
                for n in process.nodes.values()
                if n.parent == current and n.kind == "startEvent"
            )
    return seen


def main_path(process: Process, kinds: frozenset[str] = frozenset(ACTIVITIES)) -> list[Node]:
    """The stages an application normally passes: the acyclic route from a start event to an
    end event through the most activities (boundary-event escapes and loops left out)."""
    best: list[str] = []
    limit = [20000]  # bounded search: diagrams are small, but never let one run away

    def walk(node_id: str, route: list[str]) -> None:
        nonlocal best
        limit[0] -= 1
        if limit[0] < 0:
            return
        node = process.nodes.get(node_id)
        if node is None:
            return
        route = route + [node_id]
        ways = [f.target for f in process.outgoing(node_id) if f.target not in route]
        if not ways:
            score = sum(process.nodes[n].kind in kinds for n in route)
            if node.kind == "endEvent" and score > sum(
                process.nodes[n].kind in kinds for n in best
            ):
                best = route
            return
        for target in ways:
            walk(target, route)

    for start in (
        n for n in process.nodes.values() if n.kind == "startEvent" and n.parent == process.id
    ):
        walk(start.id, [])
    return [process.nodes[n] for n in best if process.nodes[n].kind in kinds]
