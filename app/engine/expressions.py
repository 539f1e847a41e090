"""A restricted expression engine replacing SpiffWorkflow's plain eval.

Gateway conditions, timer definitions and script lines are evaluated with simpleeval over
the task data only: no builtins, no imports, no attribute access to private names.
"""

import ast
import re
from collections.abc import Callable, Mapping
from typing import Any

from simpleeval import EvalWithCompoundTypes
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

# Camunda Modeler writes timer definitions as bare ISO 8601 text (PT48H, 2027-04-01T00:00:00+09:00).
ISO_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$"
)
ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
ISO_RECURRING = re.compile(r"^R\d*/\S+$")

SAFE_FUNCTIONS: dict[str, Callable] = {
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "min": min,
    "max": max,
    "abs": abs,
    "any": any,
    "all": all,
    "round": round,
    "sorted": sorted,
}

ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Subscript,
    ast.Attribute,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.And,
    ast.Or,
    ast.Not,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.FloorDiv,
    ast.USub,
    ast.UAdd,
    ast.Slice,
)


def unwrap(expression: str) -> str:
    """Strip whitespace and a Camunda-style ${...} wrapper."""
    text = (expression or "").strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    return text


def iso_literal(expression: str) -> str | None:
    """Return the expression itself when it is a bare ISO 8601 duration, date or cycle."""
    text = unwrap(expression)
    upper = text.upper()
    if ISO_DURATION.match(upper) or ISO_DATETIME.match(text) or ISO_RECURRING.match(upper):
        return text
    return None


def check_expression(expression: str) -> str | None:
    """Return a reason why the expression cannot be evaluated safely, or None when it can."""
    text = unwrap(expression)
    if iso_literal(text) is not None:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return f"syntax error: {exc.msg}"
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            return f"{type(node).__name__} is not allowed in expressions"
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            return "private attributes are not allowed"
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS
        ):
            return "only these functions may be called: " + ", ".join(sorted(SAFE_FUNCTIONS))
    return None


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate over the given names; unknown names are None so optional data never crashes."""
    literal = iso_literal(expression)
    if literal is not None:
        return literal
    # The same rules the validator applies before deploy hold at run time.
    reason = check_expression(expression)
    if reason:
        raise ValueError(f"expression refused: {reason}")
    evaluator = EvalWithCompoundTypes(
        functions=SAFE_FUNCTIONS, names=lambda node: names.get(node.id)
    )
    return evaluator.eval(unwrap(expression))


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and one-line-per-statement scripts; dispatches service topics."""

    def __init__(self, services: Callable[[str, dict, dict], dict | None] | None = None):
        super().__init__({})
        self.services = services

    def evaluate(self, expression, context, external_context=None):
        names = dict(external_context or {})
        names.update(context)
        return evaluate(expression, names)

    def execute(self, script, context, external_context=None):
        # A script is lines of `name = expression` (or bare expressions), nothing more.
        for raw in (script or "").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            target, sep, expr = line.partition("=")
            if sep and target.strip().isidentifier() and not expr.startswith("="):
                context[target.strip()] = self.evaluate(expr, context, external_context)
            else:
                self.evaluate(line, context, external_context)
        return True

    def call_service(self, context, topic=None, properties=None, **kwargs):
        if self.services is None:
            raise RuntimeError(f"no service handler for topic {topic!r}")
        return self.services(topic, properties or {}, context)


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self, services: Callable[[str, dict, dict], dict | None] | None = None):
        super().__init__(environment=RestrictedEnvironment(services))

    def validate(self, expression):
        reason = check_expression(expression)
        if reason:
            raise SyntaxError(reason)

    def call_service(self, task, **kwargs):
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"service topic {kwargs.get('topic')!r} failed: {err}", task=task, exception=err
            ) from err
