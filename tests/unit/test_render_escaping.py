"""The diagram SVG escapes every name, label and overlay text: markup in a diagram never runs."""

from html import escape as html_escape

import pytest
from lxml import etree

from app.engine.render import Overlay, render
from app.engine.render_parts import STYLE, steps_svg

SVG = "{http://www.w3.org/2000/svg}"
ATTACKS = [
    'x" onload="alert(1)" x="',
    "<script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "a & b ' \" < >",
]


def hostile_bpmn(text: str) -> str:
    """A two-lane diagram whose every name, documentation and annotation is `text`."""
    a = html_escape(text, quote=True)  # the file itself is well-formed XML
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="x">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" name="{a}" processRef="proc"/>
  </bpmn:collaboration>
  <bpmn:process id="proc" name="{a}" isExecutable="true">
    <bpmn:documentation>{a}</bpmn:documentation>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="{a}"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>task</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_b" name="reviewer"><bpmn:flowNodeRef>call</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gate</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>timer</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="{a}"><bpmn:documentation>{a}</bpmn:documentation>
      <bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="task" name="{a}"><bpmn:documentation>{a}</bpmn:documentation>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:callActivity id="call" name="{a}" calledElement="other">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>
    <bpmn:exclusiveGateway id="gate" name="{a}" default="f4">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end" name="{a}"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:messageEventDefinition id="msg"/></bpmn:endEvent>
    <bpmn:boundaryEvent id="timer" name="{a}" attachedToRef="call">
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" name="{a}" sourceRef="start" targetRef="task"/>
    <bpmn:sequenceFlow id="f2" name="{a}" sourceRef="task" targetRef="call"/>
    <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="gate"/>
    <bpmn:sequenceFlow id="f4" name="{a}" sourceRef="gate" targetRef="end"/>
    <bpmn:textAnnotation id="note"><bpmn:text>{a}</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="assoc" sourceRef="task" targetRef="note"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="collab">
      <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">
        <dc:Bounds x="100" y="50" width="900" height="400"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_a_di" bpmnElement="lane_a" isHorizontal="true">
        <dc:Bounds x="130" y="50" width="870" height="200"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_b_di" bpmnElement="lane_b" isHorizontal="true">
        <dc:Bounds x="130" y="250" width="870" height="200"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="130" width="36" height="36"/>
        <bpmndi:BPMNLabel><dc:Bounds x="160" y="170" width="80" height="40"/></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="task_di" bpmnElement="task">
        <dc:Bounds x="270" y="108" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="call_di" bpmnElement="call">
        <dc:Bounds x="420" y="300" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="gate_di" bpmnElement="gate" isMarkerVisible="true">
        <dc:Bounds x="580" y="315" width="50" height="50"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="700" y="322" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="timer_di" bpmnElement="timer">
        <dc:Bounds x="452" y="362" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="note_di" bpmnElement="note">
        <dc:Bounds x="420" y="70" width="200" height="60"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1">
        <di:waypoint x="216" y="148"/><di:waypoint x="270" y="148"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2">
        <di:waypoint x="370" y="148"/><di:waypoint x="470" y="300"/>
        <bpmndi:BPMNLabel><dc:Bounds x="380" y="200" width="80" height="30"/></bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3">
        <di:waypoint x="520" y="340"/><di:waypoint x="580" y="340"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4">
        <di:waypoint x="630" y="340"/><di:waypoint x="700" y="340"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="assoc_di" bpmnElement="assoc">
        <di:waypoint x="370" y="120"/><di:waypoint x="420" y="100"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def assert_inert(svg: str) -> etree._Element:
    """The SVG parses as XML and holds no script, no event handler, no foreign element."""
    root = etree.fromstring(svg.encode())  # raises on an attribute broken out of its quotes
    assert root.tag == f"{SVG}svg"
    allowed = {"svg", "title", "style", "defs", "marker", "path", "g", "a", "rect", "circle"}
    allowed |= {"text", "tspan", "ol", "li"}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        assert name in allowed, f"unexpected element <{name}>"
        for attribute in element.attrib:
            assert not etree.QName(attribute).localname.lower().startswith("on"), attribute
        assert "javascript:" not in (element.get("href") or "").lower()
    assert not root.xpath("//*[local-name()='script' or local-name()='img']")
    style = root.find(f"{SVG}style")
    assert style is None or style.text == STYLE  # the one stylesheet the CSP allows by hash
    return root


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_name_is_text_never_markup(attack):
    overlay = Overlay(
        states={"task": "active", "call": "done"},
        notes={"task": attack, "timer": attack},
        counts={"call": 2},
        links={"call": f"/x?p={attack}", "task": "/analyst"},
        lane_labels={attack: attack},
    )
    svg = render({"hostile.bpmn": hostile_bpmn(attack)}, "proc", overlay)
    root = assert_inert(svg)
    assert root.get("aria-label") == attack  # the process name, back unchanged as text
    assert root.findtext(f"{SVG}title") == attack
    texts = "".join(root.itertext())
    assert texts.count(attack[:8]) >= 8  # names, labels, notes and tips are all shown as text
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert f"/x?p={attack}" in links
    assert not any('"' in v and "onload" in k for e in root.iter() for k, v in e.attrib.items())


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_applicant_progress_escapes_labels_and_title(attack):
    svg = steps_svg([(attack, "done"), (attack, "active"), ("end", attack)], attack)
    root = assert_inert(svg)
    assert root.get("aria-label") == attack
    assert [g.get("data-state") for g in root.iter(f"{SVG}g")] == ["done", "active", attack]
    assert attack[:8] in "".join(root.itertext())


def test_the_svg_uses_no_style_attributes():
    """The CSP allows the embedded stylesheet by hash only, never style attributes."""
    svg = render({"hostile.bpmn": hostile_bpmn("名前")}, "proc", Overlay(states={"end": "done"}))
    root = assert_inert(svg)
    assert not [e for e in root.iter() if e.get("style") is not None]
    steps = assert_inert(steps_svg([("a", "done"), ("b", "active"), ("c", "cancelled")], "t"))
    assert not [e for e in steps.iter() if e.get("style") is not None]
