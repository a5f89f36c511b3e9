"""A small, safe expression language for densities written as text (``density:1+x1*x2``).

The text is parsed with :mod:`ast` and only a whitelist is accepted: numbers,
the variables x1..xn, the constants pi and e, the operators + - * / ** and
unary -/+, parentheses, and the functions in :data:`FUNCTIONS`. Nothing is
handed to ``eval``: the checked tree is evaluated node by node with numpy, so
an expression is a vectorized map from points of shape (m, n) to values (m,).
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from grids.errors import InvalidInput

BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}
UNARY: dict[type, Callable[[np.ndarray], np.ndarray]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# name -> (numpy function, number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], int]] = {
    "exp": (np.exp, 1), "log": (np.log, 1), "sqrt": (np.sqrt, 1), "sin": (np.sin, 1), "cos": (np.cos, 1),
    "abs": (np.abs, 1), "minimum": (np.minimum, 2), "maximum": (np.maximum, 2), "min": (np.minimum, 2),
    "max": (np.maximum, 2),
}
CONSTANTS = {"pi": np.pi, "e": np.e}
VARIABLE = re.compile(r"x([1-9][0-9]*)\Z")
MAX_LENGTH = 2000  # characters; a density formula is short, and ast.parse recurses on deep nesting


def _refuse(text: str, what: str) -> InvalidInput:
    return InvalidInput(f"density {text!r}: {what}; allowed: numbers, x1..xn, pi, e, + - * / **, "
                        f"parentheses and {', '.join(FUNCTIONS)}")


def _check(node: ast.AST, text: str, n: int) -> None:
    """Raise InvalidInput at the first node outside the whitelist."""
    if isinstance(node, ast.Expression):
        return _check(node.body, text, n)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(text, f"the constant {node.value!r} is not allowed (only real numbers)")
        try:
            finite = bool(np.isfinite(float(node.value)))
        except OverflowError:                               # an int beyond float64
            finite = False
        if not finite:
            raise _refuse(text, f"the number {node.value!r} is beyond float64")
        return None
    if isinstance(node, ast.Name):
        m = VARIABLE.match(node.id)
        if node.id in CONSTANTS:
            return None
        if m is None:
            raise _refuse(text, f"the name {node.id!r} is not allowed")
        if not 1 <= int(m.group(1)) <= n:
            raise _refuse(text, f"unknown variable {node.id!r}: the setting has {n} goods, x1..x{n}")
        return None
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        _check(node.left, text, n)
        return _check(node.right, text, n)
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return _check(node.operand, text, n)
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = name if name is not None else ast.unparse(node.func)
            raise _refuse(text, f"the function {shown!r} is not allowed")
        if node.keywords or len(node.args) != FUNCTIONS[name][1]:
            raise _refuse(text, f"{name} takes {FUNCTIONS[name][1]} positional argument(s)")
        for arg in node.args:
            _check(arg, text, n)
        return None
    what = type(node.op).__name__ if isinstance(node, (ast.BinOp, ast.UnaryOp)) else type(node).__name__
    raise _refuse(text, f"{what} ({ast.unparse(node)!r}) is not allowed")


def _evaluate(node: ast.AST, x: np.ndarray) -> np.ndarray:
    """The value of a checked tree at the points x (m, n)."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, x)
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return np.float64(CONSTANTS[node.id]) if node.id in CONSTANTS else x[:, int(node.id[1:]) - 1]
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](_evaluate(node.left, x), _evaluate(node.right, x))
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_evaluate(node.operand, x))
    func = FUNCTIONS[node.func.id][0]                       # ast.Call, checked
    return func(*(_evaluate(a, x) for a in node.args))


@dataclass(frozen=True)
class Expression:
    """A checked formula in x1..xn; calling it maps points (m, n) to float64 values (m,).

    Non-finite results (log 0, sqrt of a negative, overflow) come back as
    inf or nan without warnings; the caller decides what they mean.
    """

    text: str
    n: int

    def __post_init__(self) -> None:
        if len(self.text) > MAX_LENGTH:
            raise _refuse(self.text[:40] + "...", f"longer than {MAX_LENGTH} characters")
        _check(self.tree, self.text, self.n)

    @property
    def tree(self) -> ast.Expression:
        try:
            return ast.parse(self.text.strip(), mode="eval")
        except (SyntaxError, ValueError) as err:
            raise _refuse(self.text, f"is not a formula ({err.msg if isinstance(err, SyntaxError) else err})") \
                from None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = _evaluate(self.tree, x)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (x.shape[0],)).copy()
