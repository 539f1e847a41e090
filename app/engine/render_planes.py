"""Which diagrams (BPMNDiagram planes) a bundle holds and the processes each one shows."""

from dataclasses import dataclass

from app.engine.diagram import BPMN, NS, XmlError, parse_xml, participants


@dataclass(frozen=True)
class DiagramRef:
    file: str
    plane: str
    processes: tuple[str, ...]
    name: str
    diagram: str = ""  # the BPMNDiagram's id (or its position in the file)
    primary: bool = True  # the plane names the process or its collaboration
    index: int = 0  # position among the file's BPMNDiagram elements


def diagrams(files: dict[str, str]) -> list[DiagramRef]:
    """Every drawable BPMNDiagram of the bundle with the processes it shows.

    A plane naming a process (or a collaboration of them) shows that; a plane naming anything
    else (a collapsed sub-process drawn apart, or a process id since renamed) shows the
    processes its shapes belong to.
    """
    result = []
    for name in sorted(files):
        try:
            root = parse_xml(files[name])
        except XmlError:
            continue
        refs = participants(root)
        procs = {p.get("id"): p for p in root.iter(f"{{{BPMN}}}process")}
        owner = {
            e.get("id"): pid
            for pid, process in procs.items()
            for e in process.iter()
            if isinstance(e.tag, str) and e.get("id")
        }
        owner.update({part: pid for part, pid in refs.items() if pid})
        collaborations = {c.get("id") for c in root.iter(f"{{{BPMN}}}collaboration")}
        for index, diagram in enumerate(root.iterfind("bpmndi:BPMNDiagram", NS)):
            plane = diagram.find("bpmndi:BPMNPlane", NS)
            if plane is None:
                continue
            target = plane.get("bpmnElement") or ""
            primary = target in procs or target in collaborations
            if target in procs:
                shown: tuple[str, ...] = (target,)
            else:
                drawn = (s.get("bpmnElement") for s in plane if isinstance(s.tag, str))
                shown = tuple(dict.fromkeys(owner[d] for d in drawn if d in owner))
            if not shown:
                continue
            label = (
                diagram.get("name")
                or _name_of(root, target)
                or (procs[shown[0]].get("name") if shown[0] in procs else "")
                or shown[0]
            )
            ref_id = diagram.get("id") or f"{name}#{index}"
            result.append(DiagramRef(name, target, shown, label, ref_id, primary, index))
    return result


def _name_of(root, element_id: str) -> str:
    if not element_id:
        return ""
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == element_id:
            return element.get("name") or ""
    return ""
