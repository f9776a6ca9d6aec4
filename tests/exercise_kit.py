"""What every exercise test file needs: the reference answer as a function, the untouched stub, a body that
forgets `return`, a function defined in a real file (as a notebook cell does, so inspect can read it), and
whether MNIST is here (the release and grading tests run real checkers)."""
from __future__ import annotations

import ast
import importlib.util

import torch


def solution(ex, name: str | None = None):
    """The exercise's solution_code, executed, as a function (by default its first `def`)."""
    scope = {"torch": torch}
    exec(ex.solution_code, scope)
    return scope[name or signature(ex)[0]]


def signature(ex) -> tuple[str, str]:
    """The answer's name and its arguments, from the first `def` of the exercise's solution_code."""
    fn = next(n for n in ast.parse(ex.solution_code).body if isinstance(n, ast.FunctionDef))
    return fn.name, ", ".join(a.arg for a in fn.args.args)


def stub(*args):
    """The untouched exercise stub: a docstring and `...`."""
    # ✍️ your code here / अपना code यहाँ लिखें
    ...


def forgot_return(*args):
    answer = args[0]  # noqa: F841  (computed, never returned)


def define(tmp_path, name: str, body: str):
    """Define function `name` from source `body` in a real file under tmp_path and return it."""
    path = tmp_path / f"{name}_mod.py"
    path.write_text(body)
    spec = importlib.util.spec_from_file_location(f"{name}_mod", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


def mnist_here() -> bool:
    """MNIST is on this machine (found as the course finds it, without downloading)."""
    from course_utils import data
    try:
        data.load_mnist(verbose=False, download=False)
    except data.DataNotFoundError:
        return False
    return True
