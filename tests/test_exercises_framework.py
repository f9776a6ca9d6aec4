import ast
import importlib.util

import pytest
import torch

from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Wrong, call, expect, is_stub
from course_utils.exercises import ch00, ch01, ch02, ch03


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
    assert out[0] == "✓ सही / Correct"
    assert out[1].startswith("✗ अभी सही नहीं / Not yet:")
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


def _mean_image_loop(x, y, digit):
    images = [image[0] for image, label in zip(x, y) if label == digit]
    return torch.stack(images).mean(0)


@pytest.mark.parametrize("right", [
    lambda x, y, d: x[y == d, 0].mean(0),                                       # index the channel first
    lambda x, y, d: x[y == d].mean(0).squeeze(0),                               # squeeze, not [0]
    lambda x, y, d: (x[:, 0] * (y == d)[:, None, None]).sum(0) / (y == d).sum(),  # masked sum / count
    _mean_image_loop,                                                           # a Python loop
    lambda x, y, d: x.numpy()[y.numpy() == d].mean(0)[0],                       # NumPy all the way
])
def test_ch00_ex1_correct_answers_written_differently_pass(right):
    assert ch00.ex1.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong, reason", [
    (lambda x, y, d: x[y == d].sum(dim=0)[0], "sum"),
    (lambda x, y, d: x.mean(dim=0)[0], "ALL the images"),
    (lambda x, y, d: x[y == d].mean(dim=0), "channel"),
    (lambda x, y, d: x[y == 3].mean(dim=0)[0], "`digit` argument"),
])
def test_ch00_ex1_reasons_name_the_mistake(wrong, reason):
    out = ch00.ex1.grade(wrong)
    assert out.status == INCORRECT and reason in out.en, out.en


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


# ---------------------------------------------------------------- every exercise of chapters 00-03
EXERCISES = [(mod.CHAPTER, getattr(mod, f"ex{i}")) for mod in (ch00, ch01, ch02, ch03)
             for i in (1, 2, 3) if hasattr(mod, f"ex{i}")]
IDS = [f"{chapter[:2]}-ex{ex.number}" for chapter, ex in EXERCISES]


def _signature(ex: Exercise) -> tuple[str, str]:
    """The name and the argument list of the function that ex's solution defines."""
    tree = ast.parse(ex.solution_code)
    fn = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    return fn.name, ", ".join(a.arg for a in fn.args.args)


def _load(tmp_path, module: str, body: str):
    """Define a function in a real file, as a notebook cell does, so that inspect can read its source."""
    path = tmp_path / f"{module}.py"
    path.write_text(body)
    spec = importlib.util.spec_from_file_location(module, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("chapter, ex", EXERCISES, ids=IDS)
def test_every_untouched_stub_is_not_attempted(tmp_path, chapter, ex):
    name, args = _signature(ex)
    mod = _load(tmp_path, f"stub_{name}", f'def {name}({args}):\n    """Write your answer here."""\n'
                                          "    # ✍️ your code here / अपना code यहाँ लिखें\n    ...\n")
    assert ex.grade(getattr(mod, name)).status == NOT_ATTEMPTED


@pytest.mark.parametrize("chapter, ex", EXERCISES, ids=IDS)
def test_every_missing_return_is_named(tmp_path, chapter, ex):
    name, args = _signature(ex)
    mod = _load(tmp_path, f"noreturn_{name}", f"def {name}({args}):\n    answer = 0  # noqa: F841  (never returned)\n")
    out = ex.grade(getattr(mod, name))
    assert out.status == INCORRECT
    assert "return" in out.en and "return" in out.hi and name in out.en, out.en


@pytest.mark.parametrize("chapter, ex", EXERCISES, ids=IDS)
def test_every_solution_is_correct(chapter, ex):
    name, _ = _signature(ex)
    assert ex.grade(_solution_fn(ex, name)).status == CORRECT


@pytest.mark.parametrize("chapter, ex", EXERCISES, ids=IDS)
def test_hints_go_from_gentle_to_the_answer(chapter, ex):
    """Two or three bilingual hints; the first gives away no line of the solution, the last shows code."""
    assert 2 <= len(ex.hints) <= 3
    for hi, en in ex.hints:
        assert any("\u0900" <= ch <= "\u097f" for ch in hi), hi
        assert en and not any("\u0900" <= ch <= "\u097f" for ch in en), en
    solution_lines = [line.split("#")[0].strip() for line in ex.solution_code.splitlines()]
    first_hi, first_en = ex.hints[0]
    for line in solution_lines:
        if len(line) > 15 and not line.startswith(("def ", "import ", "from ")):
            assert line not in first_en and line not in first_hi, f"hint 1 gives away {line!r}"
    assert "`" in ex.hints[-1][1] and "`" in ex.hints[-1][0]
