"""Exercises that check themselves, in the style of Kaggle's learntools.

A chapter imports its exercises (``from course_utils.exercises import ch01``) and
a learner calls, for each one:

* ``ch01.ex1.check(answer)``: correct, incorrect with the reason, or not attempted yet;
* ``ch01.ex1.hint()`` / ``hint(2)``: graded hints, each more concrete than the last;
* ``ch01.ex1.solution()``: the answer's code and a link to the solution notebook.

A checker is a plain function that runs the learner's answer on real inputs and
calls :func:`expect` for each property the answer must have. An untouched stub
(``None``, ``...``, a function whose body is ``...`` or that raises
``NotImplementedError``) is reported as *not attempted yet*, never as an error,
so a chapter runs from top to bottom before the learner has written anything.
"""
from __future__ import annotations

import ast
import inspect
import numbers
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython.display import Markdown, display

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"


class Wrong(Exception):
    """Raised by a checker: the answer is incorrect, with the reason in both languages."""

    def __init__(self, en: str, hi: str):
        super().__init__(en)
        self.en, self.hi = en, hi


class NotAttempted(Exception):
    """Raised when the answer is still the stub."""


def expect(condition: bool, en: str, hi: str) -> None:
    """Fail the check with a bilingual reason unless `condition` holds."""
    if not condition:
        raise Wrong(en, hi)


def as_number(out: Any, en_what: str, hi_what: str) -> float:
    """The learner's result as a Python float (a one-element tensor, a NumPy scalar or a real number), or a
    bilingual reason why it is not one number."""
    if type(out).__module__ == "torch" and hasattr(out, "numel"):
        expect(out.numel() == 1, f"{en_what} must be one number, but it has shape {tuple(out.shape)}",
               f"{hi_what} एक ही number होना चाहिए, पर इसकी shape {tuple(out.shape)} है")
        return float(out.detach())
    if type(out).__module__ == "numpy" and getattr(out, "shape", None) == ():   # NumPy scalar or 0-d array
        return float(out)
    expect(isinstance(out, numbers.Real) and not isinstance(out, bool), f"return a number, not {type(out).__name__}",
           f"एक number return करें, {type(out).__name__} नहीं")
    return float(out)


def is_stub(fn: Callable[..., Any]) -> bool:
    """True if `fn`'s body is only a docstring, comments and `...` / `pass` (the untouched exercise stub)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
    trivial = lambda s: isinstance(s, ast.Pass) or (  # noqa: E731
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
        and (s.value.value is Ellipsis or isinstance(s.value.value, str)))
    return bool(body) and all(trivial(s) for s in body)


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function: the untouched stub means not attempted; returning None means a missing `return`."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError as err:
        raise NotAttempted from err
    except Wrong:
        raise
    except Exception as err:  # the learner's code crashed: say how, do not raise
        raise Wrong(f"your code raised {type(err).__name__}: {err}",
                    f"आपका code {type(err).__name__} पर रुक गया: {err}") from err
    if out is Ellipsis or (out is None and is_stub(fn)):
        raise NotAttempted
    if out is None:
        name = getattr(fn, "__name__", "your function")
        raise Wrong(f"{name}() returned None: did you forget `return`?",
                    f"{name}() ने None लौटाया: क्या आप `return` लिखना भूल गए?")
    return out


@dataclass
class Outcome:
    """The result of grading one answer."""

    status: str
    en: str = ""
    hi: str = ""

    def __bool__(self) -> bool:
        return self.status == CORRECT

    def message(self) -> str:
        # Marks that common fonts have (no emoji font needed), each beside words that carry the verdict.
        if self.status == CORRECT:
            return "✓ सही / Correct"
        if self.status == NOT_ATTEMPTED:
            return ("○ अभी कोशिश नहीं की / Not attempted yet: ऊपर अपना answer लिखें और यह cell फिर चलाएँ "
                    "/ write your answer above and run this cell again.")
        return f"✗ अभी सही नहीं / Not yet: {self.hi} / {self.en}"


@dataclass
class Exercise:
    """One exercise: a checker, graded bilingual hints and the solution code."""

    chapter: str          # e.g. "01_autoencoder_basics": the solution notebook has the same name
    number: int
    checker: Callable[[Any], None]
    hints: list[tuple[str, str]]      # (Hindi, English), from gentle to concrete
    solution_code: str
    history: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self.hints:
            raise ValueError(f"exercise {self.chapter} #{self.number} needs at least one hint")
        self.solution_code = textwrap.dedent(self.solution_code).strip()

    def grade(self, answer: Any = None) -> Outcome:
        """Grade `answer` without printing: correct, incorrect (with the reason) or not attempted."""
        if answer is None or answer is Ellipsis:
            return Outcome(NOT_ATTEMPTED)
        try:
            self.checker(answer)
        except NotAttempted:
            return Outcome(NOT_ATTEMPTED)
        except Wrong as w:
            return Outcome(INCORRECT, w.en, w.hi)
        return Outcome(CORRECT)

    def check(self, answer: Any = None) -> None:
        """Grade `answer` and print the verdict in both languages."""
        outcome = self.grade(answer)
        self.history.append(outcome.status)
        print(outcome.message())

    def hint(self, level: int = 1) -> None:
        """Print hint number `level` (1 is the gentlest)."""
        if not 1 <= level <= len(self.hints):
            raise ValueError(f"this exercise has hints 1 to {len(self.hints)}; got {level}")
        hi, en = self.hints[level - 1]
        print(f"💡 Hint {level}/{len(self.hints)}: {hi}\n   {en}")

    def solution_link(self, lang: str) -> str:
        """Relative link, from a chapter view, to this exercise in the solution notebook of `lang`."""
        if lang not in ("hi", "en"):
            raise ValueError(f"lang must be 'hi' or 'en', got {lang!r}")
        return f"../../solutions/{lang}/{self.chapter}.ipynb#ex-{self.number}"

    def solution(self) -> None:
        """Show the solution code and links to the worked solution in both languages."""
        display(Markdown(
            f"**Solution / हल, exercise {self.number}**\n\n```python\n{self.solution_code}\n```\n\n"
            f"[हिंदी solution notebook]({self.solution_link('hi')}) · "
            f"[English solution notebook]({self.solution_link('en')})"))
