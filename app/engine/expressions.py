"""A restricted, bounded expression engine replacing SpiffWorkflow's plain eval.

Gateway conditions, timer definitions and script lines are evaluated with simpleeval over
the task data only: no builtins, no imports, no attribute access to private names, no calls
but a few pure functions. Every evaluation is bounded, whoever wrote the expression: its text
(length, nodes, nesting), the values it builds (``MAX_SIZE`` characters or elements counted
deep, integers of ``MAX_INT_BITS``), the nodes it evaluates and its time (``TIME_BUDGET``,
checked between nodes). ``%`` formatting of strings, ``**``, shifts and comprehensions are
refused. Refusals raise ``ExpressionRefused``; exceeded bounds ``ExpressionLimitExceeded``.
"""

import ast
import operator
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from simpleeval import EvalWithCompoundTypes, FeatureNotAvailable
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

# The bounds of one evaluation (see the module docstring and docs/SECURITY.md).
MAX_EXPRESSION_LENGTH = 1000  # characters of one expression or script line
MAX_NODES = 300  # syntax nodes of one expression
MAX_DEPTH = 30  # nesting of one expression
MAX_STEPS = 1000  # nodes evaluated in one evaluation
MAX_SIZE = 10_000  # characters of a string, or elements of a value counted deep
MAX_INT_BITS = 4096  # integers an expression computes
MAX_ROUND_DIGITS = 32  # round(x, n) with |n| above this is refused
TIME_BUDGET = 0.05  # seconds for one evaluation
SCRIPT_TIME_BUDGET = 0.2  # seconds for all lines of one script task

SAFE_FUNCTIONS: Mapping[str, Callable] = MappingProxyType(
    {
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
)

ALLOWED_NODES = tuple(
    getattr(ast, name)
    for name in (
        "Expression BoolOp BinOp UnaryOp Compare IfExp Call Constant Name Load Subscript"
        " Attribute List Tuple Dict Set Slice And Or Not Eq NotEq Lt LtE Gt GtE In NotIn Is"
        " IsNot Add Sub Mult Div Mod FloorDiv USub UAdd"
    ).split()
)
# Nodes whose value the expression builds (the others read data or pass a value on).
BUILDING = (ast.BinOp, ast.UnaryOp, ast.Call, ast.List, ast.Tuple, ast.Dict, ast.Set)
SEQUENCES = (str, bytes, list, tuple)
CONTAINERS = (list, tuple, set, frozenset, dict)

# Japanese wording of each bound, for the validator's messages.
LIMIT_MESSAGES = {
    "length": f"式が長すぎます（{MAX_EXPRESSION_LENGTH} 文字まで）",
    "nodes": f"式の要素が多すぎます（{MAX_NODES} 個まで）",
    "depth": f"式の入れ子が深すぎます（{MAX_DEPTH} 段まで）",
    "steps": "式の評価の手順が多すぎます",
    "format": "文字列の % による書式指定は使えません",
    "size": f"式が作る値が大きすぎます（文字列は {MAX_SIZE:,} 文字、リストなどは {MAX_SIZE:,} 要素まで）",
    "integer": f"式が作る整数が大きすぎます（{MAX_INT_BITS} ビットまで）",
    "round": f"round() の桁数は ±{MAX_ROUND_DIGITS} までです",
    "method": "メソッドは使えません",
    "time": "式の評価に時間がかかりすぎます",
}


class ExpressionError(ValueError):
    """An expression that cannot be evaluated under this engine's rules."""


class ExpressionRefused(ExpressionError):
    """The expression uses something the engine does not allow (syntax, node, function)."""


class ExpressionLimitExceeded(ExpressionError):
    """The expression exceeded a resource bound (size, integer, nodes, depth or time)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"expression limit exceeded ({kind}): {detail}")
        self.kind = kind

    @property
    def japanese(self) -> str:
        return LIMIT_MESSAGES.get(self.kind, LIMIT_MESSAGES["steps"])


_shared_deadline: ContextVar[float | None] = ContextVar("expression_deadline", default=None)


@contextmanager
def expression_budget(seconds: float) -> Iterator[None]:
    """Every evaluation inside shares this time budget, on top of its own."""
    outer = _shared_deadline.get()
    deadline = time.monotonic() + seconds
    token = _shared_deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _shared_deadline.reset(token)


def budget_exhausted() -> bool:
    """True inside an `expression_budget` whose time is up."""
    shared = _shared_deadline.get()
    return shared is not None and time.monotonic() > shared


def unwrap(expression: str) -> str:
    """Strip whitespace and a Camunda-style ${...} wrapper."""
    text = (expression or "").strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    return text


def iso_literal(expression: str) -> str | None:
    """Return the expression itself when it is a bare ISO 8601 duration, date or cycle."""
    text = unwrap(expression)
    if len(text) > MAX_EXPRESSION_LENGTH:
        return None
    upper = text.upper()
    if ISO_DURATION.match(upper) or ISO_DATETIME.match(text) or ISO_RECURRING.match(upper):
        return text
    return None


def _depth(tree: ast.AST) -> int:
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _parse(text: str) -> ast.Expression:
    """The syntax tree of an expression within every static rule, or ExpressionError."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionLimitExceeded("length", f"longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionRefused(f"syntax error: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ExpressionLimitExceeded("depth", type(exc).__name__) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionLimitExceeded("nodes", f"more than {MAX_NODES} nodes")
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionLimitExceeded("depth", f"nested deeper than {MAX_DEPTH}")
    for node in nodes:
        if not isinstance(node, ALLOWED_NODES):
            raise ExpressionRefused(f"{type(node).__name__} is not allowed in expressions")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionRefused("private attributes are not allowed")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS
        ):
            raise ExpressionRefused(
                "only these functions may be called: " + ", ".join(sorted(SAFE_FUNCTIONS))
            )
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str | bytes)
        ):
            raise ExpressionLimitExceeded("format", "string formatting with % is not allowed")
    return tree


def check_expression(expression: str) -> str | None:
    """Return a reason why the expression cannot be evaluated safely, or None when it can."""
    text = unwrap(expression)
    if iso_literal(text) is not None:
        return None
    try:
        _parse(text)
    except ExpressionError as exc:
        return str(exc).removeprefix("expression refused: ")
    return None


def limit_problem(expression: str) -> ExpressionLimitExceeded | None:
    """The bound a trial evaluation (every name unset) exceeds, or None; for the validator."""
    try:
        evaluate(expression, {})
    except ExpressionLimitExceeded as exc:
        return exc
    except Exception:  # other failures depend on the data the process will have
        return None
    return None


def evaluate(expression: str, names: Mapping[str, Any], *, budget: float = TIME_BUDGET) -> Any:
    """Evaluate over the given names; unknown names are None so optional data never crashes."""
    literal = iso_literal(expression)
    if literal is not None:
        return literal
    text = unwrap(expression)
    try:
        tree = _parse(text)
    except ExpressionRefused as exc:
        raise ExpressionRefused(f"expression refused: {exc}") from None
    evaluator = BoundedEvaluator(names, budget)
    try:
        return evaluator.eval(text, tree.body)
    except RecursionError:
        raise ExpressionLimitExceeded("depth", "nested too deeply") from None


def _integral(value: Any) -> None:
    """A Decimal from task data may be 1E+999999999: never turn such a one into an integer."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_BITS // 3:
        raise ExpressionLimitExceeded("integer", "a decimal too large for an integer")


class BoundedEvaluator(EvalWithCompoundTypes):
    """simpleeval with per-instance operators and functions that bound every value they build."""

    def __init__(self, names: Mapping[str, Any], budget: float = TIME_BUDGET):
        super().__init__(
            operators=self._operators(),
            functions=self._functions(),
            names=lambda node: names.get(node.id),
        )
        # EvalWithCompoundTypes adds list/tuple/dict/set and comprehensions: none of them here.
        self.functions = self._functions()
        for node_type in (ast.ListComp, ast.GeneratorExp, ast.DictComp):
            self.nodes.pop(node_type, None)
        deadline = time.monotonic() + budget
        shared = _shared_deadline.get()
        self.deadline = deadline if shared is None else min(deadline, shared)
        self.steps = 0
        self._sizes: dict[int, tuple[int, Any]] = {}

    def _operators(self) -> dict:
        return {
            ast.Add: self._add,
            ast.Sub: operator.sub,
            ast.Mult: self._mult,
            ast.Div: operator.truediv,
            ast.FloorDiv: operator.floordiv,
            ast.Mod: self._mod,
            ast.Eq: operator.eq,
            ast.NotEq: operator.ne,
            ast.Gt: operator.gt,
            ast.Lt: operator.lt,
            ast.GtE: operator.ge,
            ast.LtE: operator.le,
            ast.Not: operator.not_,
            ast.USub: operator.neg,
            ast.UAdd: operator.pos,
            ast.In: lambda x, y: operator.contains(y, x),
            ast.NotIn: lambda x, y: not operator.contains(y, x),
            ast.Is: lambda x, y: x is y,
            ast.IsNot: lambda x, y: x is not y,
        }

    def _functions(self) -> dict:
        functions: dict[str, Callable] = {"len": len, "bool": bool, "round": self._round}
        for name in ("str", "int", "float", "min", "max", "abs", "any", "all", "sorted"):
            functions[name] = self._sized_call(SAFE_FUNCTIONS[name])
        return functions

    # --- evaluation, one node at a time -------------------------------------------------------

    def _eval(self, node):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExpressionLimitExceeded("steps", f"more than {MAX_STEPS} nodes evaluated")
        if time.monotonic() > self.deadline:
            raise ExpressionLimitExceeded("time", "the time budget is spent")
        handler = self.nodes.get(type(node))
        if handler is None:
            raise FeatureNotAvailable(f"{type(node).__name__} is not available")
        result = handler(node)
        if isinstance(node, BUILDING):
            self._bound(result)
        elif isinstance(node, ast.Attribute) and callable(result):
            raise ExpressionLimitExceeded("method", f"method {node.attr!r} is not available")
        self._check_disallowed_items(result)
        return result

    # --- sizes ---------------------------------------------------------------------------------

    def size(self, value: Any, depth: int = 0) -> int:
        """Characters or elements of a value counted deep; stops counting past MAX_SIZE."""
        if isinstance(value, str | bytes | bytearray):
            return max(1, len(value))
        if not isinstance(value, CONTAINERS):
            return 1
        known = self._sizes.get(id(value))
        if known is not None and known[1] is value:
            return known[0]
        if depth > MAX_DEPTH:
            return MAX_SIZE + 1
        total = 1
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            total += self.size(item, depth + 1)
            if total > MAX_SIZE:
                break
        self._sizes[id(value)] = (total, value)  # keeping the value keeps its id unique
        return total

    def _bound(self, value: Any) -> None:
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise ExpressionLimitExceeded("integer", f"an integer over {MAX_INT_BITS} bits")
        if self.size(value) > MAX_SIZE:
            raise ExpressionLimitExceeded("size", f"a value over {MAX_SIZE} characters/elements")

    def _sized_call(self, function: Callable) -> Callable:
        def call(*args):
            for arg in args:
                self._bound(arg)
                _integral(arg)
            return function(*args)

        call.__name__ = function.__name__
        return call

    # --- operators (the node bounds the result; these refuse before building something big) --

    def _add(self, a, b):
        if isinstance(a, SEQUENCES) and isinstance(b, SEQUENCES):
            if self.size(a) + self.size(b) > MAX_SIZE:
                raise ExpressionLimitExceeded("size", "concatenation too long")
        return a + b

    def _mult(self, a, b):
        if isinstance(b, SEQUENCES):
            a, b = b, a
        if isinstance(a, SEQUENCES) and isinstance(b, int):
            each = len(a) if isinstance(a, str | bytes) else self.size(a) - 1
            if each * max(b, 0) > MAX_SIZE:
                raise ExpressionLimitExceeded("size", "repetition too long")
        elif isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
                raise ExpressionLimitExceeded("integer", "product too large")
        return a * b

    def _mod(self, a, b):
        if isinstance(a, str | bytes | bytearray):
            raise ExpressionLimitExceeded("format", "string formatting with % is not allowed")
        return a % b

    def _round(self, number, digits=None):
        if digits is not None and (not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS):
            raise ExpressionLimitExceeded("round", f"round() digits beyond ±{MAX_ROUND_DIGITS}")
        _integral(number)
        return round(number) if digits is None else round(number, digits)


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
        # A script is lines of `name = expression` (or bare expressions), nothing more;
        # all its lines share one time budget on top of each line's own.
        with expression_budget(SCRIPT_TIME_BUDGET):
            self._execute(script, context, external_context)
        return True

    def _execute(self, script, context, external_context) -> None:
        for raw in (script or "").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            target, sep, expr = line.partition("=")
            if sep and target.strip().isidentifier() and not expr.startswith("="):
                context[target.strip()] = self.evaluate(expr, context, external_context)
            else:
                self.evaluate(line, context, external_context)

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
