"""The template and condition language: JMESPath over a step's context, never eval.

The context a step sees is `{"input": <trigger input>, "steps": {<id>: {"output": ...}}}`, plus
`item` and `index` inside a `forEach` step. A template is any JSON value in which a string that is
exactly `${<JMESPath>}` is replaced by that expression's result. Expressions are compiled (and their
step references extracted from the syntax tree) when a definition is parsed, so a typo or a
reference to a step that is not an ancestor is a 422, never a runtime surprise.
"""

import re
from dataclasses import dataclass
from typing import Any

from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from legato.definitions.syntax import MAX_EXPRESSION, MAX_EXPRESSION_DEPTH, SyntaxProblem, compile_jmespath

__all__ = [
    "MAP_NAMES",
    "MAX_EXPRESSION",
    "MAX_EXPRESSION_DEPTH",
    "ROOT_NAMES",
    "Expression",
    "ExpressionError",
    "Template",
    "TemplateError",
    "compile_expression",
    "compile_template",
    "truthy",
]
TEMPLATE = re.compile(r"^\$\{(.+)\}$", re.DOTALL)
ROOT_NAMES = ("input", "steps")
MAP_NAMES = ("item", "index")

# Nodes whose children are evaluated against the same current node as the node itself.
_SAME_NODE = {
    "and_expression",
    "or_expression",
    "not_expression",
    "comparator",
    "function_expression",
    "multi_select_list",
    "multi_select_dict",
    "key_val_pair",
    "flatten",
}
# Nodes whose first child sees the current node and whose other children see its result.
_LEFT_ONLY = {
    "subexpression",
    "index_expression",
    "projection",
    "value_projection",
    "filter_projection",
    "pipe",
}


class ExpressionError(ValueError):
    """An expression could not be compiled or evaluated; the message says why."""


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    compiled: ParsedResult
    step_refs: frozenset[str]  # ids named as steps.<id>
    reads_all_steps: bool  # `steps` (or `@`) used whole: every ancestor's output is needed
    reads_input: bool

    def evaluate(self, context: dict[str, Any]) -> Any:
        try:
            return self.compiled.search(context)
        except (JMESPathError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ExpressionError(f"{self.source!r}: {exc}") from exc


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, "", [] and {} are false; everything else (0 too) is true."""
    return not (value is None or value is False or value in ("", [], {}))


class _Refs:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots
        self.steps: set[str] = set()
        self.all_steps = False
        self.input = False

    def visit(self, node: dict[str, Any], at_root: bool) -> None:
        kind = node.get("type")
        children: list[dict[str, Any]] = node.get("children", [])
        if at_root and kind == "field":
            self._root_field(node["value"])
            if node["value"] == "steps":
                self.all_steps = True
            return
        if at_root and kind == "current":
            self.all_steps = self.input = True
            return
        if at_root and kind == "subexpression" and children[0].get("type") == "field":
            head, second = children[0]["value"], children[1]
            self._root_field(head)
            if head == "steps":
                if second.get("type") == "field":
                    self.steps.add(second["value"])
                elif (
                    second.get("type") == "index_expression" and second["children"][0].get("type") == "field"
                ):
                    self.steps.add(second["children"][0]["value"])
                else:
                    self.all_steps = True
            for child in children[1:]:
                self.visit(child, False)
            return
        if kind in _SAME_NODE:
            for child in children:
                self.visit(child, at_root)
        elif kind in _LEFT_ONLY and children:
            self.visit(children[0], at_root)
            for child in children[1:]:
                self.visit(child, False)
        else:
            for child in children:
                self.visit(child, False)

    def _root_field(self, name: str) -> None:
        if name not in self.roots:
            raise ExpressionError(
                f"unknown name {name!r}; an expression starts from one of {list(self.roots)}"
            )
        if name == "input":
            self.input = True


def compile_expression(source: str, roots: tuple[str, ...] = ROOT_NAMES) -> Expression:
    """Raises ExpressionError naming what is wrong (length, syntax, nesting, a literal, a root name)."""
    try:
        compiled = compile_jmespath(source)
    except SyntaxProblem as exc:
        raise ExpressionError(str(exc)) from None
    refs = _Refs(roots)
    refs.visit(dict(compiled.parsed), True)
    return Expression(source, compiled, frozenset(refs.steps), refs.all_steps, refs.input)


@dataclass(frozen=True, slots=True)
class Template:
    """A JSON value in which each string `${expr}` is replaced by the expression's result."""

    raw: Any
    by_string: dict[str, Expression]  # "${expr}" -> its compiled expression
    paths: tuple[tuple["Path", Expression], ...] = ()  # where each one is, inside the template

    @property
    def expressions(self) -> tuple[Expression, ...]:
        return tuple(self.by_string.values())

    def render(self, context: dict[str, Any]) -> Any:
        return self._render(self.raw, context)

    def _render(self, value: Any, context: dict[str, Any]) -> Any:
        if isinstance(value, str):
            expr = self.by_string.get(value)
            return value if expr is None else expr.evaluate(context)
        if isinstance(value, list):
            return [self._render(v, context) for v in value]
        if isinstance(value, dict):
            return {k: self._render(v, context) for k, v in value.items()}
        return value


Path = tuple[str | int, ...]


def compile_template(raw: Any, roots: tuple[str, ...] = ROOT_NAMES) -> Template:
    """Raises TemplateError naming the path inside the template of the first bad string."""
    by_string: dict[str, Expression] = {}
    paths: list[tuple[Path, Expression]] = []

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, str):
            m = TEMPLATE.match(value)
            if m is None:
                if "${" in value:
                    raise TemplateError(path, "a template string must be exactly one ${expression}")
                return
            if value not in by_string:
                try:
                    by_string[value] = compile_expression(m.group(1), roots)
                except ExpressionError as exc:
                    raise TemplateError(path, str(exc)) from exc
            paths.append((path, by_string[value]))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))

    walk(raw, ())
    return Template(raw, by_string, tuple(paths))


class TemplateError(ExpressionError):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
