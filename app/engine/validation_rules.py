"""The product's rules for one executable process: elements, forms, lanes, timers, conditions, flow."""

from typing import TYPE_CHECKING

from app.engine.diagram import NS, Process, camunda, in_bpmn, local, reachable
from app.engine.expressions import expression_budget
from app.engine.validation_conditions import (
    condition_problem,
    expression_problem,
    gateway_problems,
    timer_problems,
)

UNSUPPORTED = {
    "sendTask": "送信タスク（メッセージ）には対応していません。システムの処理はサービスタスク（External）で表してください。",
    "receiveTask": "受信タスク（メッセージ待ち）には対応していません。待ち合わせはユーザータスクかタイマーで表してください。",
    "businessRuleTask": "ビジネスルールタスク（DMN）には対応していません。分岐は排他ゲートウェイの条件で表してください。",
    "manualTask": "手作業タスクは画面がないため完了できません。ユーザータスクにしてフォームキーを設定してください。",
    "task": "種類のないタスクは実行できません。画面ならユーザータスク、システム処理ならサービスタスクにしてください。",
    "eventBasedGateway": "イベントベースゲートウェイには対応していません。期限はタイマー境界イベントで表してください。",
    "complexGateway": "複合ゲートウェイには対応していません。排他・並行・包含ゲートウェイを使ってください。",
    "transaction": "トランザクションサブプロセスには対応していません。",
    "adHocSubProcess": "アドホックサブプロセスには対応していません。",
}
EVENT_NAMES = {
    "message": "メッセージ",
    "signal": "シグナル",
    "error": "エラー",
    "escalation": "エスカレーション",
    "compensate": "補償",
    "conditional": "条件",
    "link": "リンク",
    "cancel": "キャンセル",
}
TIMER_PLACES = {"intermediateCatchEvent", "boundaryEvent"}
# Seconds all trial evaluations of one process may take together (each one has its own bound).
PROCESS_BUDGET = 5.0
if TYPE_CHECKING:
    from app.engine.validation import Contract

Finding = tuple[object, str, str]  # (element, message, code)


class ProcessCheck:
    """Collects (element, message, code) findings for one process."""

    def __init__(self, process: Process, contract: "Contract"):
        self.process = process
        self.contract = contract
        self.findings: list[Finding] = []

    def add(self, element: object, message: str, code: str) -> None:
        self.findings.append((element, message, code))

    def run(self) -> list[Finding]:
        with expression_budget(PROCESS_BUDGET):
            return self._run()

    def _run(self) -> list[Finding]:
        process = self.process
        if not any(
            n.kind == "startEvent" and n.parent == process.id for n in process.nodes.values()
        ):
            self.add(process.element, "開始イベントがありません。", "unreachable")
        self._lanes()
        self._references()
        for node in process.nodes.values():
            self._node(node)
        for flow in process.flows.values():
            self._flow(flow)
        seen = reachable(process)
        for node in process.nodes.values():
            if node.id not in seen and node.kind != "startEvent":
                self.add(
                    node.element,
                    f"「{node.label}」には開始イベントからたどり着けません"
                    "（シーケンスフローがつながっているか確認してください）。",
                    "unreachable",
                )
        return self.findings

    def _lanes(self) -> None:
        roles = self.contract.roles
        listing = "、".join(f"{key}（{label}）" for key, label in roles.items())
        for lane in self.process.element.iterfind(".//bpmn:lane", NS):
            if lane.find("bpmn:childLaneSet", NS) is not None:
                continue
            name = (lane.get("name") or "").strip()
            if name not in roles:
                self.add(
                    lane,
                    f"レーン「{name}」に対応する役割がありません。"
                    f"レーン名は {listing} のいずれかにしてください。",
                    "lane",
                )

    def _references(self) -> None:
        nodes = self.process.nodes
        for flow in self.process.flows.values():
            for end, ref in (("接続元", flow.source), ("接続先", flow.target)):
                if ref not in nodes:
                    message = f"シーケンスフローの{end} '{ref}' がこのプロセスにありません。"
                    self.add(flow.element, message, "reference")
        for node in nodes.values():
            attached = node.element.get("attachedToRef")
            if node.kind == "boundaryEvent" and attached not in nodes:
                self.add(
                    node.element, f"境界イベントの付く先 '{attached}' がありません。", "reference"
                )

    def _node(self, node) -> None:
        element, kind = node.element, node.kind
        if kind in UNSUPPORTED:
            self.add(element, f"「{node.label}」: {UNSUPPORTED[kind]}", "unsupported")
        if element.get("triggeredByEvent") == "true":
            message = f"「{node.label}」: イベントサブプロセスには対応していません。"
            self.add(element, message, "unsupported")
        for loop in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
            if element.find(f"bpmn:{loop}", NS) is not None:
                message = f"「{node.label}」: 繰り返し・マルチインスタンスには対応していません。"
                self.add(element, message, "unsupported")
        self._events(node)
        if kind == "userTask":
            self._user_task(node)
        elif kind == "serviceTask":
            self._service_task(node)
        elif kind == "scriptTask":
            self._script_task(node)
        elif kind in ("exclusiveGateway", "inclusiveGateway"):
            for message, code in gateway_problems(self.process, node):
                self.add(element, message, code)

    def _events(self, node) -> None:
        definitions = [
            c for c in node.element if in_bpmn(c) and local(c).endswith("EventDefinition")
        ]
        label = node.label
        if len(definitions) > 1:
            self.add(
                node.element,
                f"「{label}」: 複数のイベント定義には対応していません。",
                "unsupported",
            )
        for definition in definitions:
            kind = local(definition)[: -len("EventDefinition")]
            if kind == "timer" and node.kind in TIMER_PLACES:
                for message in timer_problems(definition):
                    self.add(node.element, f"「{label}」のタイマー: {message}", "timer")
            elif kind == "terminate" and node.kind == "endEvent":
                continue
            elif kind == "timer":
                message = f"「{label}」: 開始イベントのタイマーには対応していません（申込は画面から始まります）。"
                self.add(node.element, message, "unsupported")
            else:
                self.add(
                    node.element,
                    f"「{label}」: {EVENT_NAMES.get(kind, kind)}イベントには対応していません"
                    "（使えるのはタイマーと、終了イベントの「終了（terminate）」です）。",
                    "unsupported",
                )
        if node.kind == "intermediateCatchEvent" and not definitions:
            message = f"「{label}」: 待つもの（タイマー）が決まっていない中間イベントです。"
            self.add(node.element, message, "unsupported")

    def _user_task(self, node) -> None:
        element, label = node.element, node.label
        key = camunda(element, "formKey")
        if not key:
            extra = (
                "（camunda:formRef には対応していません）" if camunda(element, "formRef") else ""
            )
            self.add(
                element,
                f"ユーザータスク「{label}」にフォームキー（camunda:formKey）がありません{extra}。"
                "Forms の Form key に forms/ のフォーム名（例: entry_office）を設定してください。",
                "form_key",
            )
        elif key not in self.contract.form_keys:
            hint = (
                "（Camunda の embedded: や camunda-forms: の形式ではなく、フォーム名だけを書きます）"
                if ":" in key or "/" in key
                else ""
            )
            message = f"フォームキー '{key}' に対応するフォームが forms/ にありません{hint}。"
            self.add(element, message, "form")
        lane = self.process.lanes.get(node.id)
        if lane is None:
            message = (
                f"ユーザータスク「{label}」がどのレーンにも入っていないため、担当が決まりません。"
            )
            self.add(element, message, "lane")
        elif lane in self.contract.machine_roles:
            message = f"ユーザータスク「{label}」が「{lane}」レーンにあり、誰も完了できません。"
            self.add(element, message, "lane")

    def _service_task(self, node) -> None:
        element = node.element
        if camunda(element, "type") != "external":
            self.add(
                element,
                f"サービスタスク「{node.label}」: Java クラス・式・コネクタの実装には対応していません。"
                "Implementation を External にし、Topic に処理名を設定してください。",
                "unsupported",
            )
            return
        topic = camunda(element, "topic")
        if topic not in self.contract.topics:
            known = "、".join(sorted(self.contract.topics))
            message = f"サービスタスクのトピック '{topic or ''}' の処理がありません（使えるもの: {known}）。"
            self.add(element, message, "topic")
        properties = {
            p.get("name"): p.get("value") or ""
            for p in element.iterfind(".//camunda:properties/camunda:property", NS)
        }
        for name in self.contract.required_properties.get(topic or "", ()):
            if not properties.get(name):
                message = f"トピック '{topic}' には camunda:property「{name}」が必要です（Extension properties）。"
                self.add(element, message, "property")
        checks = self.contract.property_checks.get(topic or "", {})
        for name, value in properties.items():
            if name in checks and (reason := checks[name](value)):
                self.add(element, f"camunda:property「{name}」の値 '{value}': {reason}", "property")
            allowed = self.contract.property_values.get(name)
            if allowed is not None and value not in allowed:
                known = "、".join(sorted(allowed))
                message = f"camunda:property「{name}」の値 '{value}' は使えません（使えるもの: {known}）。"
                self.add(element, message, "property")

    def _script_task(self, node) -> None:
        element = node.element
        script_format = (element.get("scriptFormat") or "python").lower()
        if script_format != "python" or camunda(element, "resource"):
            message = f"スクリプト形式 '{script_format}' には対応していません（1 行に 1 つの Python 式）。"
            self.add(element, message, "unsupported")
            return
        script = element.find("bpmn:script", NS)
        for line in ((script.text if script is not None else "") or "").splitlines():
            target, sep, expression = line.strip().partition("=")
            text = expression if sep and target.strip().isidentifier() else line.strip()
            if text and not text.startswith("#") and (reason := expression_problem(text)):
                self.add(element, f"スクリプト「{line.strip()}」: {reason}", "condition")

    def _flow(self, flow) -> None:
        if flow.condition is None:
            return
        source = self.process.nodes.get(flow.source)
        if source is not None and source.kind == "parallelGateway":
            message = "並行ゲートウェイから出るフローの条件は評価されません。条件を外してください。"
            self.add(flow.element, message, "condition")
        elif source is not None and source.kind not in ("exclusiveGateway", "inclusiveGateway"):
            message = "タスクから直接出る条件付きフローには対応していません。排他ゲートウェイを置いてください。"
            self.add(flow.element, message, "condition")
        elif reason := condition_problem(flow.condition):
            label = f"「{flow.name}」" if flow.name else ""
            self.add(flow.element, f"分岐{label}の条件: {reason}", "condition")
