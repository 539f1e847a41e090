"""Checks of expressions, timers and gateway conditions, with hints for Camunda (JUEL) habits."""

import ast
import itertools
import keyword
import re
from collections.abc import Iterator

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app import clock
from app.domain.timer_bounds import timer_problem
from app.engine.diagram import Node, Process, camunda, in_bpmn, local
from app.engine.expressions import (
    SAFE_FUNCTIONS,
    ExpressionLimitExceeded,
    budget_exhausted,
    check_expression,
    evaluate,
    expression_budget,
    iso_literal,
    limit_problem,
    unwrap,
)

LOOKS_ISO = re.compile(r"^(R\d*/)?P[0-9A-Z.,]*$")
CRON = re.compile(r"^[0-9*?/,\-LW#A-Z]+( [0-9*?/,\-LW#A-Z]+){4,6}$")
JUEL_HINTS = (
    ("&&", "「&&」は「and」と書きます"),
    ("||", "「||」は「or」と書きます"),
    (" eq ", "「eq」は「==」と書きます"),
    (" ne ", "「ne」は「!=」と書きます"),
    ("empty ", "「empty x」は「not x」と書きます"),
)
JUEL_LITERALS = {"true", "false", "null"}
OTHER = "（上記以外の値）"
MAX_COMBINATIONS = 5000
COVERAGE_BUDGET = 1.0  # seconds to try the combinations of one gateway
SHOWN = 80  # characters of an expression quoted in a message
TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


def expression_problem(text: str) -> str | None:
    """Why an expression cannot run, in plain words with a hint for Camunda (JUEL) habits."""
    stripped = text.strip()
    if stripped.startswith("#{"):
        return f"'{stripped}' の #{{...}} 形式には対応していません。${{...}} か、式だけを書いてください。"
    if (limit := limit_problem(stripped)) is not None:
        shown = stripped if len(stripped) <= SHOWN else stripped[:SHOWN] + "…"
        return f"'{shown}' は実行できません（{limit.japanese}）。"
    reason = check_expression(stripped)
    literals = sorted(JUEL_LITERALS & set(re.findall(r"[A-Za-z_]+", unwrap(stripped))))
    if reason is None and literals:
        reason = f"'{literals[0]}' は変数名として読まれ、常に未設定になります"
    if reason is None:
        return None
    body = f" {unwrap(stripped)} "
    hints = [hint for token, hint in JUEL_HINTS if token in body]
    if literals:
        hints.append("true・false・null は True・False・None と書きます")
    if re.search(r"!(?!=)", body):
        hints.append("「!x」は「not x」と書きます")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body))
    reserved = sorted(
        w
        for w in words
        if keyword.iskeyword(w)
        and w not in ("and", "or", "not", "in", "is", "if", "else", "None", "True", "False")
    )
    if reserved:
        hints.append(f"'{reserved[0]}' は予約語のため変数名に使えません")
    extra = "。" + "、".join(hints) if hints else ""
    return f"'{stripped}' は式として解釈できません（{reason}）{extra}。"


def condition_problem(condition: etree._Element) -> str | None:
    language = (condition.get("language") or "").strip()
    if language and language.lower() != "python":
        return f"言語 '{language}' のスクリプト条件には対応していません。式だけを書いてください。"
    if camunda(condition, "resource"):
        return "外部ファイルの条件スクリプトには対応していません。"
    text = (condition.text or "").strip()
    if not text:
        return "条件式が空です。"
    return expression_problem(text)


def timer_problems(definition: etree._Element) -> Iterator[str]:
    parts = [
        c
        for c in definition
        if in_bpmn(c) and local(c) in ("timeDate", "timeDuration", "timeCycle")
    ]
    if not parts:
        yield "日時・期間・繰り返しのどれも設定されていません（Timer definition が空です）。"
    for part in parts:
        text = (part.text or "").strip()
        kind = local(part)
        if not text:
            yield "定義が空です。"
            continue
        literal = iso_literal(text)
        if literal is None:
            if LOOKS_ISO.match(text.upper()):
                yield f"'{text}' は ISO 8601 の日時・期間・繰り返しとして正しくありません（例: PT48H、P3D、R3/PT1H）。"
            elif CRON.match(text):
                yield f"'{text}' は cron 式で、対応していません。R3/PT1H のような ISO 8601 で書いてください。"
            elif reason := expression_problem(text):
                yield f"{reason} PT48H・2027-04-01T00:00:00+09:00 のような ISO 8601 か、日時を返す式を書いてください。"
            continue
        if reason := _literal_problem(kind, literal):
            yield reason


def _literal_problem(kind: str, literal: str) -> str | None:
    upper = literal.upper()
    if kind == "timeDuration" and not upper.startswith("P"):
        return (
            f"期間（Duration）に '{literal}' が書かれています。PT48H のような期間を書いてください。"
        )
    if kind == "timeDate" and upper.startswith(("P", "R")):
        return f"日時（Date）に '{literal}' が書かれています。2027-04-01T00:00:00+09:00 のような日時を書いてください。"
    if kind == "timeCycle" and not upper.startswith("R"):
        return f"繰り返し（Cycle）に '{literal}' が書かれています。R3/PT1H のような繰り返しを書いてください。"
    # The bounds come first: the library's own parsing is what loops on an unbounded value.
    if reason := timer_problem(TIMER_KINDS[kind], literal, clock.now()):
        return reason
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(upper)
        elif kind == "timeDate":
            TimerEventDefinition.parse_time_or_duration(literal)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(literal)
    except Exception:
        return f"'{literal}' は ISO 8601 の日時・期間・繰り返しとして正しくありません。"
    return None


def gateway_problems(process: Process, node: Node) -> Iterator[tuple[str, str]]:
    """Default-flow rules: every token leaving an exclusive/inclusive gateway must have a way out."""
    outgoing = process.outgoing(node.id)
    default = node.element.get("default")
    if default and default not in {f.id for f in outgoing}:
        yield f"既定フロー '{default}' はこのゲートウェイから出ていません。", "reference"
    if len(outgoing) <= 1 and all(f.condition is None for f in outgoing):
        return  # a merging gateway, or a single unconditional way out
    for flow in outgoing:
        if flow.condition is None and flow.id != default:
            name = f"「{flow.name}」" if flow.name else f"'{flow.id}'"
            yield (
                f"ゲートウェイ「{node.label}」の分岐{name}に条件がなく、既定フローでもありません。"
                "条件を書くか、既定フロー（Default flow）にしてください。",
                "no_default",
            )
    if default or any(f.condition is None for f in outgoing):
        return  # a default exists, or the branch without a condition was reported above
    conditions = [(f.condition.text or "") for f in outgoing if f.condition is not None]
    if not conditions or any(
        condition_problem(f.condition) for f in outgoing if f.condition is not None
    ):
        return
    with expression_budget(COVERAGE_BUDGET):
        covered, example = _coverage(conditions)
    if covered is None:
        yield (
            f"ゲートウェイ「{node.label}」の条件の組み合わせを確かめきれませんでした"
            "（評価に時間がかかりすぎるか、値が大きすぎます）。"
            "どれか1本を既定フロー（Default flow）にしてください。",
            "no_default",
        )
    elif not covered:
        case = f"（例: {example} のとき）" if example else ""
        yield (
            f"ゲートウェイ「{node.label}」に既定フローがなく、どの条件にも合わない場合{case}に申込が止まります。"
            "どれか1本を既定フロー（Default flow）にしてください。",
            "no_default",
        )


def _coverage(conditions: list[str]) -> tuple[bool | None, str]:
    """Try every combination of relevant values; (True, "") when some condition always holds.

    (None, "") when the time budget ran out or a condition hit a bound before an answer.
    """
    names: set[str] = set()
    constants: list = []
    for condition in conditions:
        for item in ast.walk(ast.parse(unwrap(condition), mode="eval")):
            if isinstance(item, (ast.Attribute, ast.Subscript)):
                return False, ""
            if isinstance(item, ast.Name) and item.id not in SAFE_FUNCTIONS:
                names.add(item.id)
            elif isinstance(item, ast.Constant) and item.value not in constants:
                constants.append(item.value)
                if isinstance(item.value, (int, float)) and not isinstance(item.value, bool):
                    constants.extend([item.value - 1, item.value + 1])
    domain = [None, True, False, 0, "", *constants, OTHER]
    ordered = sorted(names)
    if len(domain) ** len(ordered) > MAX_COMBINATIONS:
        return False, ""
    for values in itertools.product(domain, repeat=len(ordered)):
        env = dict(zip(ordered, values, strict=True))
        if budget_exhausted():
            return None, ""
        try:
            holds = any(_holds(c, env) for c in conditions)
        except ExpressionLimitExceeded:  # a bound, not the values, decided: no answer
            return None, ""
        if not holds:
            shown = ", ".join(f"{k} が{_show(v)}" for k, v in env.items())
            return False, shown or "常に"
    return True, ""


def _holds(condition: str, env: dict) -> bool:
    try:
        return bool(evaluate(condition, env))
    except ExpressionLimitExceeded:
        raise
    except Exception:  # a condition that fails at run time does not match either
        return False


def _show(value) -> str:
    if value is None:
        return "未設定"
    if value == OTHER:
        return OTHER
    return f" {value!r} "
