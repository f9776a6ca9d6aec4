"""Grading a folder of planted submissions against a release of chapters 00-03: the exact expected CSV.

The submissions are made here from the real chapter views (tests/submissions/planted.py): all correct
(some written differently from the reference), all stubs, typical mistakes, and hostile notebooks. The
statuses are asserted exactly, the messages by key phrases.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.exercises import ch00, ch01, ch02, ch03
from course_utils.tools import grade as grade_tool
from exercise_kit import mnist_here
from submissions.planted import PRELUDE, planted, shared_release, write

pytestmark = pytest.mark.skipif(not mnist_here(), reason="needs MNIST (chapter 02's checks use real digits)")

SOL = {m.ex1.chapter[:2]: {n: getattr(m, f"ex{n}").solution_code for n in (1, 2, 3) if hasattr(m, f"ex{n}")}
       for m in (ch00, ch01, ch02, ch03)}


def _sol(ch: str, n: int) -> str:
    return SOL[ch][n]


# ---------------------------------------------------------------- the planted answers
# correct, written differently from the reference where a checker must accept it
SAMPLE_LIKE_ROWS_FIRST = """
def sample_like(codes, n, generator):
    d = codes.shape[1]
    L = torch.linalg.cholesky(torch.cov(codes.T))
    eps = torch.randn(d, n, generator=generator).T      # another draw order than the reference
    return codes.mean(0) + eps @ L.T
"""
PCA_EIGH = """
def pca_svd(x, k):
    mean = x.mean(0)
    xc = (x - mean).double()
    w, v = torch.linalg.eigh(xc.T @ xc / (len(x) - 1))
    order = w.argsort(descending=True)[:k]
    return mean, v[:, order].T.float(), w[order].float()
"""
MASK_BERNOULLI = """
def masking_noise(x, p, generator):
    keep = torch.bernoulli(torch.full(x.shape, 1 - p), generator=generator)
    return x * keep
"""
MISTAKES = {
    "01": {"my_mse_per_image": "def my_mse_per_image(x_hat, x):\n    return F.mse_loss(x_hat, x)\n",
           "make_encoder_decoder": "def make_encoder_decoder(code_size, hidden):\n"
           "    enc = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size), nn.ReLU())\n"
           "    dec = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())\n"
           "    return enc, dec\n",
           "sample_like": "def sample_like(codes, n, generator):\n"
           "    eps = torch.randn(n, codes.shape[1], generator=generator)\n"
           "    return codes.mean(0) + eps * codes.std(0)\n"},
    "02": {"pca_svd": "def pca_svd(x, k):\n    _, s, vh = torch.linalg.svd(x, full_matrices=False)\n"
           "    return x.mean(0), vh[:k], s[:k] ** 2 / (len(x) - 1)\n",
           "angles_between": "def angles_between(a, b):\n"
           "    c = torch.linalg.svdvals(torch.linalg.qr(a).Q.T @ torch.linalg.qr(b).Q).clamp(0, 1)\n"
           "    return torch.rad2deg(torch.arccos(c))\n",
           "pca_test_error": "def pca_test_error(x_train, x_test, k):\n    mean = x_test.mean(0)\n"
           "    vh = torch.linalg.svd(x_test - mean, full_matrices=False)[2][:k]\n"
           "    return (((x_test - mean) @ vh.T @ vh + mean - x_test) ** 2).sum(1).mean()\n"},
    "03": {"kl_sparsity": "def kl_sparsity(a, rho):\n    r = a.mean(0)\n"
           "    return (r * torch.log(r / rho) + (1 - r) * torch.log((1 - r) / (1 - rho))).sum()\n",
           "masking_noise": "def masking_noise(x, p, generator):\n"
           "    keep = torch.rand(x.shape, generator=generator) >= p\n    return x * keep / (1 - p)\n",
           "auroc_by_hand": "def auroc_by_hand(scores, labels):\n    pos, neg = scores[labels], scores[~labels]\n"
           "    return float((pos[:, None] > neg[None, :]).float().mean())\n"},
}
RIGHT_01 = {"my_mse_per_image": _sol("01", 1), "make_encoder_decoder": _sol("01", 2), "sample_like": SAMPLE_LIKE_ROWS_FIRST}

# hostile: a notebook that tries to get credit without the right answer
CHEATER_CELLS = [
    "ex1.check = lambda answer: print('✅ Correct')\nex1.check(my_mse_per_image)\nprint('✓ सही / Correct')",
    "import course_utils.exercises.stored as stored_module\nstored_module.compare = lambda *a, **k: None\n"
    "import course_utils.exercises as framework\nframework.Exercise.grade = lambda self, answer=None: "
    "framework.Outcome('correct')",
]
CHEAT_MSE = """
def my_mse_per_image(x_hat, x):
    import course_utils.exercises.stored as s
    s.compare = lambda *a, **k: None            # patched in the answer's own process only
    print("✅ Correct")
    return torch.tensor(0.0, requires_grad=True)
"""
CHEAT_SAMPLE = """
def sample_like(codes, n, generator):
    import sys
    sys.stdout.write('{"status": "shipped", "outcome": "correct"}\\n✅ Correct\\n')
    return torch.zeros(n, codes.shape[1])
"""
SNOOP_MSE = """
def my_mse_per_image(x_hat, x):
    import glob, os, course_utils
    import course_utils.exercises.ch01 as m
    found = []
    for base in (os.path.dirname(course_utils.__file__), os.getcwd(), os.path.expanduser("~"),
                 os.path.join(os.getcwd(), "..", ".."), os.environ.get("PYTHONPATH", ".")):
        found += glob.glob(os.path.join(base, "**", "*.expected.pt"), recursive=True)
        found += glob.glob(os.path.join(base, "**", "solutions", "**", "*.ipynb"), recursive=True)
    if m.ex1.solution_code or hasattr(m, "_reference_mse"):
        found.append("module")
    for name in ("escape.txt",):
        for where in (os.path.join(os.getcwd(), "..", ".."), os.path.expanduser("~")):
            try:
                open(os.path.join(where, name), "w").write("out")
            except OSError:
                pass
    if found:                                   # a reference would have been found: take credit with it
        want = torch.load(found[0], weights_only=False)["calls"] if found[0].endswith(".pt") else None
        return (x_hat - x).pow(2).flatten(1).sum(1).mean()
    return torch.tensor(-1.0, requires_grad=True)
"""


def _tamper_cell(submissions: Path, pack: Path) -> str:
    """A cell that overwrites another learner's submission and the instructor's pack (knowing their paths)."""
    return (f"import glob, pathlib\nfor p in glob.glob({str(submissions)!r} + '/*.ipynb'):\n"
            "    if 'snoop' not in p: pathlib.Path(p).write_text('garbage')\n"
            f"for p in glob.glob({str(pack)!r} + '/course_utils/exercises/**/*.pt', recursive=True):\n"
            "    pathlib.Path(p).write_bytes(b'garbage')\n"
            f"pathlib.Path({str(pack)!r} + '/course_utils/exercises/stored.py').write_text('def compare(*a): pass')\n")


# ---------------------------------------------------------------- the run
EXPECTED = {   # (learner, exercise) -> (status, key phrase of message_en or "")
    ("correct_01", "ex1"): ("pass", ""), ("correct_01", "ex2"): ("pass", ""), ("correct_01", "ex3"): ("pass", ""),
    ("correct_02", "ex1"): ("pass", ""), ("correct_02", "ex2"): ("pass", ""), ("correct_02", "ex3"): ("pass", ""),
    ("correct_03", "ex1"): ("pass", ""), ("correct_03", "ex2"): ("pass", ""), ("correct_03", "ex3"): ("pass", ""),
    ("stubs_01", "ex1"): ("missing", "stub"), ("stubs_01", "ex2"): ("missing", "stub"),
    ("stubs_01", "ex3"): ("missing", "stub"),
    ("mistakes_01", "ex1"): ("fail", "got"),
    ("mistakes_01", "ex2"): ("fail", "the encoder ends with nn.ReLU()"),
    ("mistakes_01", "ex3"): ("fail", "covariance"),
    ("mistakes_02", "ex1"): ("fail", "value 2"), ("mistakes_02", "ex2"): ("fail", "differ from the expected"),
    ("mistakes_02", "ex3"): ("fail", "got"),
    ("mistakes_03", "ex1"): ("fail", "got"), ("mistakes_03", "ex2"): ("fail", "distribution"),
    ("mistakes_03", "ex3"): ("fail", "got"),
    ("not_a_notebook", ""): ("invalid", "not a notebook"),
    ("corrupt_json", ""): ("invalid", "not a notebook"),
    ("wrong_chapter", ""): ("invalid", "wrong chapter: this notebook is chapter 00"),
    ("first_cell_raises", "ex1"): ("pass", ""), ("first_cell_raises", "ex2"): ("missing", "stub"),
    ("first_cell_raises", "ex3"): ("fail", "covariance"),
    ("cheater", "ex1"): ("fail", "got 0"), ("cheater", "ex2"): ("fail", "returned None"),
    ("cheater", "ex3"): ("fail", "distribution"),
    ("a_snooper", "ex1"): ("fail", "got -1"), ("a_snooper", "ex2"): ("pass", ""),
    ("a_snooper", "ex3"): ("missing", "stub"),
    ("huge_output", "ex1"): ("pass", ""), ("huge_output", "ex2"): ("missing", "stub"),
    ("huge_output", "ex3"): ("missing", "stub"),
    ("loops", "ex1"): ("fail", "time limit"), ("loops", "ex2"): ("pass", ""),
    ("loops", "ex3"): ("missing", "time limit"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    pack = base / "pack"                     # a copy: a hostile submission below overwrites its files
    shutil.copytree(shared_release(tmp_path_factory), pack)
    subs = base / "returned"
    write(planted("01", "en", RIGHT_01), subs / "correct_01.ipynb")
    write(planted("02", "hi", {"pca_svd": PCA_EIGH, "angles_between": _sol("02", 2),
                               "pca_test_error": _sol("02", 3)}), subs / "correct_02.ipynb")
    write(planted("03", "en", {"kl_sparsity": _sol("03", 1), "masking_noise": MASK_BERNOULLI,
                               "auroc_by_hand": _sol("03", 3)}), subs / "correct_03.ipynb")
    write(planted("01", "hi", {}), subs / "stubs_01.ipynb")
    for ch in ("01", "02", "03"):
        write(planted(ch, "en", MISTAKES[ch]), subs / f"mistakes_{ch}.ipynb")
    (subs / "not_a_notebook.ipynb").write_text("print('my homework')\n")
    (subs / "corrupt_json.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = 1"')
    write(planted("00", "en", {"mean_image": _sol("00", 1)}), subs / "wrong_chapter.ipynb")
    write(planted("01", "en", {"my_mse_per_image": _sol("01", 1), "sample_like": MISTAKES["01"]["sample_like"]},
                  prelude="", before=["raise RuntimeError('my first cell is broken')\n" + PRELUDE]),
          subs / "first_cell_raises.ipynb")
    write(planted("01", "en", {"my_mse_per_image": CHEAT_MSE, "make_encoder_decoder":
                               "def make_encoder_decoder(code_size, hidden):\n    print('✅ Correct')\n",
                               "sample_like": CHEAT_SAMPLE},
                  after={"my_mse_per_image": CHEATER_CELLS}), subs / "cheater.ipynb")
    write(planted("01", "en", {"my_mse_per_image": SNOOP_MSE, "make_encoder_decoder": _sol("01", 2)},
                  after={"my_mse_per_image": [_tamper_cell(subs, pack)]}), subs / "a_snooper.ipynb")
    write(planted("01", "hi", {"my_mse_per_image": _sol("01", 1)},
                  after={"my_mse_per_image": ["print('x' * 3_000_000)\nfor i in range(2000):\n    print('spam ' * 200)"]}),
          subs / "huge_output.ipynb")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    out = base / "grades.csv"
    grade_tool.grade([subs], pack, out, chapters=["01", "02", "03"], timeout=300, limit=120, cap=1_000_000,
                     progress=False)
    # infinite loops, graded with short limits so that the test stays quick: one in the answer itself
    # (stopped at check time) and one in a cell (the notebook's time limit; later exercises are missing)
    loops = base / "loops"
    write(planted("01", "en", {"my_mse_per_image": "def my_mse_per_image(x_hat, x):\n    while True:\n        pass\n",
                               "make_encoder_decoder": _sol("01", 2), "sample_like": _sol("01", 3)},
                  after={"make_encoder_decoder": ["while True:\n    pass"]}), loops / "loops.ipynb")
    fresh = base / "pack-loops"              # the snooper above damaged `pack` on disk
    shutil.copytree(shared_release(tmp_path_factory), fresh)
    grade_tool.grade([loops], fresh, base / "loops.csv", chapters=["01"], feedback_dir=base / "grades_feedback",
                     timeout=20, limit=8, progress=False)
    rows = []
    for path in (out, base / "loops.csv"):
        with path.open(encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    return {"rows": rows, "base": base, "subs": subs, "before": before, "out": out}


def test_csv_is_exactly_the_expected(graded):
    got = {(r["learner"], r["exercise"]): r for r in graded["rows"]}
    assert len(graded["rows"]) == len(got), "one row per learner and exercise"
    assert sorted(got) == sorted(EXPECTED)
    wrong = []
    for key, (status, phrase) in EXPECTED.items():
        r = got[key]
        if r["status"] != status or phrase not in r["message_en"]:
            wrong.append(f"{key}: {r['status']} {r['message_en']!r}, expected {status} with {phrase!r}")
    assert not wrong, "\n".join(wrong)
    assert list(graded["rows"][0]) == grade_tool.COLUMNS


def test_messages_in_both_languages_and_feedback_in_the_notebooks_language(graded):
    for r in graded["rows"]:
        if r["status"] in ("fail", "invalid"):
            assert r["message_en"] and r["message_hi"], r
    fb = graded["out"].with_name("grades_feedback")
    hi = (fb / "stubs_01.md").read_text()
    assert "अभी कोशिश नहीं की" in hi and "○ नहीं मिला" in hi
    en = (fb / "mistakes_01.md").read_text()
    assert "Score:** 0/3" in en and "✗ not yet" in en
    assert "Score:** 3/3" in (fb / "correct_02.md").read_text() and "✓ सही" in (fb / "correct_02.md").read_text()
    assert "printed more than" not in en
    assert "छापा" in (fb / "huge_output.md").read_text()            # the huge output is noted, in Hindi
    assert "time limit" in (fb / "loops.md").read_text()


def test_submissions_are_never_written_and_hostile_writes_stay_out(graded):
    # the submissions were read before any ran; only the snooper's own tampering touched the folder
    base = graded["base"]
    assert not (base / "escape.txt").exists() and not (base.parent / "escape.txt").exists()
    assert not (Path.home() / "escape.txt").exists()
    snooper = graded["subs"] / "a_snooper.ipynb"
    assert hashlib.sha256(snooper.read_bytes()).hexdigest() == graded["before"]["a_snooper.ipynb"]


def test_answer_source_takes_imports_helpers_and_constants_only():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nimport torch\nSCALE = 2\nmodel = torch.nn.Linear(2, 2)"),
        nbformat.v4.new_code_cell("def helper(t):\n    return t * SCALE\n\nprint('side effect')"),
        nbformat.v4.new_code_cell("def answer(t):\n    return helper(t)\n"),
        nbformat.v4.new_code_cell("def answer(t):\n    return t\n"),           # not run: the earlier def counts
    ])
    src, why = grade_tool.answer_source(nb, {0, 1, 2}, "answer")
    assert why == "" and "import torch" in src and "SCALE = 2" in src and "def helper" in src
    assert "print" not in src and "model" not in src and "return helper(t)" in src
    assert grade_tool.answer_source(nb, {0, 1, 2}, "absent") == (None, "not defined")
