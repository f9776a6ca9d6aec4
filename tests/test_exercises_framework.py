import pytest
import torch

from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Wrong, call, expect, is_stub
from course_utils.exercises import ch00


def _square_checker(fn):
    out = call(fn, 3)
    expect(out == 9, f"square(3) should be 9, got {out}", f"square(3) 9 होना चाहिए, मिला {out}")


EX = Exercise("99_demo", 1, _square_checker, hints=[("हिंट", "hint"), ("हिंट 2", "hint 2")],
              solution_code="def square(x):\n    return x * x")


def test_grades_right_wrong_and_untouched():
    assert EX.grade(lambda x: x * x).status == CORRECT
    wrong = EX.grade(lambda x: x + x)
    assert wrong.status == INCORRECT and "got 6" in wrong.en and "मिला 6" in wrong.hi

    def stub(x):
        ...

    def raises_stub(x):
        raise NotImplementedError

    for untouched in (None, ..., stub, raises_stub):
        assert EX.grade(untouched).status == NOT_ATTEMPTED


def test_a_crashing_answer_is_incorrect_not_an_error():
    out = EX.grade(lambda x: 1 / 0)
    assert out.status == INCORRECT and "ZeroDivisionError" in out.en


def test_check_prints_bilingual_verdicts(capsys):
    EX.check(lambda x: x * x)
    EX.check(lambda x: 0)
    EX.check(None)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ सही / Correct"
    assert out[1].startswith("❌ अभी सही नहीं / Not yet:")
    assert "Not attempted yet" in out[2] and "अभी कोशिश नहीं की" in out[2]
    assert EX.history[-3:] == [CORRECT, INCORRECT, NOT_ATTEMPTED]


def test_hints_are_graded_and_bounded(capsys):
    EX.hint()
    EX.hint(2)
    out = capsys.readouterr().out
    assert "Hint 1/2" in out and "Hint 2/2" in out
    with pytest.raises(ValueError, match="hints 1 to 2"):
        EX.hint(3)
    with pytest.raises(ValueError, match="hint"):
        Exercise("x", 1, _square_checker, hints=[], solution_code="")


def test_solution_links_point_into_the_same_language():
    assert EX.solution_link("hi") == "../../solutions/hi/99_demo.ipynb#ex-1"
    assert EX.solution_link("en") == "../../solutions/en/99_demo.ipynb#ex-1"
    with pytest.raises(ValueError):
        EX.solution_link("fr")


def test_expect_raises_wrong_with_both_languages():
    with pytest.raises(Wrong) as info:
        expect(False, "english reason", "हिंदी कारण")
    assert info.value.en == "english reason" and info.value.hi == "हिंदी कारण"


def _solution_fn(ex: Exercise, name: str):
    scope: dict = {"torch": torch}
    exec(ex.solution_code, scope)
    return scope[name]


def test_ch00_ex1_planted_answers():
    ex = ch00.ex1
    assert ex.grade(_solution_fn(ex, "mean_image")).status == CORRECT
    planted_wrong = [
        lambda x, y, d: x.mean(dim=0)[0],                # ignores the labels
        lambda x, y, d: x[y == 3].mean(dim=0)[0],        # hard-codes digit 3
        lambda x, y, d: x[y == d].sum(dim=0)[0],         # sum, not mean
        lambda x, y, d: x[y == d].mean(dim=0),           # keeps the channel: wrong shape
        lambda x, y, d: x[y == d].mean(dim=0)[0].tolist(),  # not a tensor
    ]
    for fn in planted_wrong:
        assert ex.grade(fn).status == INCORRECT
    forgot_return = ex.grade(lambda x, y, d: None)                 # computed nothing, returned None
    assert forgot_return.status == INCORRECT and "return" in forgot_return.en and "return" in forgot_return.hi


def _stub(x, y, d):
    """The untouched exercise stub: docstring and `...`."""
    # your code here
    ...


def _forgot_return(x, y, d):
    mean = x[y == d].mean(dim=0)[0]  # noqa: F841  (computed, never returned)


def test_stub_is_not_attempted_but_missing_return_is_named():
    assert is_stub(_stub) and not is_stub(_forgot_return)
    assert ch00.ex1.grade(_stub).status == NOT_ATTEMPTED
    out = ch00.ex1.grade(_forgot_return)
    assert out.status == INCORRECT and "did you forget `return`" in out.en
