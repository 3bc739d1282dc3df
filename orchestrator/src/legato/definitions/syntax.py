"""Compile the JMESPath of one `${...}`, or say why not: never any other exception.

The `jmespath` parser and interpreter are recursive, so an expression is bounded before and after
parsing: at most MAX_EXPRESSION characters, at most MAX_EXPRESSION_DEPTH levels of brackets
(`[`, `[?`, `{`, `(`) and at most MAX_EXPRESSION_DEPTH levels in its syntax tree (so evaluating it
at run time cannot exhaust the stack either). A JSON literal (`` `...` ``) becomes a value of the
step's input, so it passes the checks a trigger input passes: no NaN or infinity, no number that a
64-bit float or integer would silently change, no NUL or lone surrogate, nested within the bound.
"""

import json
import warnings
from typing import TYPE_CHECKING

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.lexer import Lexer
from jmespath.parser import ParsedResult

from legato.payloads import InvalidValue, JsonLimits, parse_checked

if TYPE_CHECKING:
    from jmespath.lexer import _LexerTokenizeResult as Token
    from jmespath.visitor import _TreeNode as Node

MAX_EXPRESSION = 2000
MAX_EXPRESSION_DEPTH = 32

_OPEN = frozenset({"lbracket", "lbrace", "lparen", "filter"})
_CLOSE = frozenset({"rbracket", "rbrace", "rparen"})
_LITERAL_LIMITS = JsonLimits(max_bytes=MAX_EXPRESSION, max_depth=MAX_EXPRESSION_DEPTH)
_TOO_DEEP = f"nested more than {MAX_EXPRESSION_DEPTH} levels deep"


class SyntaxProblem(ValueError):
    """The source is not an expression Legato accepts; the message says why."""


def compile_jmespath(source: str) -> ParsedResult:
    """The compiled expression, or SyntaxProblem (length, syntax, nesting, a literal)."""
    if len(source) > MAX_EXPRESSION:
        raise SyntaxProblem(f"expression longer than {MAX_EXPRESSION} characters")
    # `` `foo` `` (a string literal without JSON quotes) is deprecated syntax that jmespath still
    # reads; its PendingDeprecationWarning is not the user's error here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        try:
            tokens = list(Lexer().tokenize(source))
            _check_brackets(tokens)
            compiled = jmespath.compile(source)
        except JMESPathError as exc:
            raise SyntaxProblem(f"not a valid JMESPath expression: {exc}".replace("\n", " ")) from None
        except RecursionError:  # a literal or an operator chain deeper than the parser can take
            raise SyntaxProblem(_TOO_DEEP) from None
    if _tree_depth(compiled.parsed) > MAX_EXPRESSION_DEPTH:
        raise SyntaxProblem(_TOO_DEEP)
    for token in tokens:
        if token["type"] == "literal" and source[token["start"]] == "`":
            _check_literal(source, token)
    return compiled


def _check_brackets(tokens: list["Token"]) -> None:
    depth = 0
    for token in tokens:
        if token["type"] in _OPEN:
            depth += 1
            if depth > MAX_EXPRESSION_DEPTH:
                raise SyntaxProblem(_TOO_DEEP)
        elif token["type"] in _CLOSE:
            depth -= 1


def _tree_depth(root: "Node") -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.get("children", ()))
    return deepest


def _check_literal(source: str, token: "Token") -> None:
    """The literal's own text passes the trigger-input checks (its parsed value hides 1e400 -> inf)."""
    start = token["start"]
    end = start + 1
    while source[end] != "`":  # the lexer's rule: a backslash takes the next character along
        end += 2 if source[end] == "\\" else 1
    text = source[start + 1 : end].replace("\\`", "`")
    try:
        try:
            json.loads(text)
        except ValueError:  # the deprecated unquoted form, which jmespath reads as a JSON string
            text = f'"{text.lstrip()}"'
        parse_checked(text, _LITERAL_LIMITS, "literal")
    except InvalidValue as exc:
        raise SyntaxProblem(f"the literal at column {start}: {exc.problem}") from None
    except RecursionError:
        raise SyntaxProblem(_TOO_DEEP) from None
