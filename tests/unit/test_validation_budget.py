"""The expression budget covers the whole upload, not only each process on its own."""

import time

from app.engine import validation, validation_conditions
from app.engine.validation import Contract, validate

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" '
    'targetNamespace="http://example.com/budget">\n'
)


def process(index: int, condition: str, other: str) -> str:
    """start -> exclusive gateway (two conditional ways out, no default) -> two ends."""
    return f"""
  <bpmn:process id="p{index}" name="プロセス{index}" isExecutable="true">
    <bpmn:startEvent id="s{index}" />
    <bpmn:sequenceFlow id="f{index}a" sourceRef="s{index}" targetRef="g{index}" />
    <bpmn:exclusiveGateway id="g{index}" name="分岐{index}" />
    <bpmn:sequenceFlow id="f{index}b" sourceRef="g{index}" targetRef="e{index}a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f{index}c" sourceRef="g{index}" targetRef="e{index}b">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{other}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="e{index}a" />
    <bpmn:endEvent id="e{index}b" />
  </bpmn:process>"""


def bundle(count: int, condition: str, other: str) -> dict[str, str]:
    body = "".join(process(i, condition, other) for i in range(count))
    return {"many.bpmn": HEAD + body + "\n</bpmn:definitions>\n"}


CONTRACT = Contract(form_keys=frozenset(), roles={}, topics=frozenset())
STOPPED = ("条件の組み合わせを確かめきれませんでした", "式の評価に時間がかかりすぎます")


def stopped(problems) -> set[str]:
    """The processes (by number) whose checks were cut short by the time budget."""
    return {
        (p.element_id or "")[1:].rstrip("abc")
        for p in problems
        if any(words in p.message for words in STOPPED)
    }


def test_covering_conditions_pass_within_the_default_budget():
    problems = validate(bundle(3, "x == 1", "x != 1"), CONTRACT)
    assert not [p for p in problems if p.code == "no_default"], [str(p) for p in problems]


def test_an_exhausted_bundle_budget_stops_the_checks_of_every_process(monkeypatch):
    # each process has its own fresh budget; only the bundle's shared one can be spent here
    monkeypatch.setattr(validation, "BUNDLE_BUDGET", 0.0)
    problems = validate(bundle(5, "x == 1", "x != 1"), CONTRACT)
    assert stopped(problems) == {str(i) for i in range(5)}


def test_many_slow_processes_are_bounded_overall(monkeypatch):
    # Each combination is made to take at least 10 ms, whatever the machine's speed, so one
    # gateway (over 500 combinations) always outlasts the 1 s budget; ten in a row would take
    # more than 20 s if every process had a fresh budget instead of sharing the upload's.
    original = validation_conditions._holds

    def slow_holds(condition, env):
        time.sleep(0.01)
        return original(condition, env)

    monkeypatch.setattr(validation_conditions, "_holds", slow_holds)
    monkeypatch.setattr(validation, "BUNDLE_BUDGET", 1.0)
    started = time.perf_counter()
    problems = validate(bundle(10, "[x, y, z] != 1", "x == 1"), CONTRACT)
    assert time.perf_counter() - started < 6
    assert stopped(problems) == {str(i) for i in range(10)}
