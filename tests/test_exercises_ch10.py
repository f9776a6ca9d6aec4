"""The checkers of chapter 10, graded on their solutions, untouched stubs, answers written differently and
planted wrong answers; every wrong answer's message must name its mistake."""
from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import solution as _solution
from course_utils.exercises import CORRECT, INCORRECT
from course_utils.exercises.ch10 import ex1, ex2, ex3
from course_utils.models import CVAE


def _wrong(ex, fn, *words):
    out = ex.grade(fn)
    assert out.status == INCORRECT, f"a wrong answer passed: {fn}"
    for w in words:
        assert w in out.en, (w, out.en)
    assert any("\u0900" <= ch <= "\u097f" for ch in out.hi)


# The reference answer, the stub, a missing `return` and the hints of every exercise are tested for all
# chapters at once in test_exercises_framework.py; this file plants this chapter's right and wrong answers.


# ---------------------------------------------------------------- exercise 1: one_hot_concat

def _concat_eye(x, y, n_classes):
    return torch.cat([x, torch.eye(n_classes)[y]], 1)


def _concat_scatter(x, y, n_classes):
    oh = torch.zeros(len(y), n_classes, dtype=x.dtype).scatter_(1, y[:, None], 1.0)
    return torch.hstack((x, oh))


def _concat_model(x, y, n_classes):
    """The CVAE class's own helper does the same thing."""
    m = CVAE(latent=2, hidden=2, n_classes=n_classes, n_pixels=x.shape[1])
    return torch.cat([x, m.one_hot(y)], dim=1)


@pytest.mark.parametrize("right", [_concat_eye, _concat_scatter, _concat_model], ids=["eye", "scatter", "model"])
def test_ex1_correct_answers_written_differently_pass(right):
    out = ex1.grade(right)
    assert out.status == CORRECT, out.en


EX1_WRONG = {
    "label as a float": (lambda x, y, n: torch.cat([x, y[:, None].float()], 1), "one number"),
    "label scaled to [0, 1]": (lambda x, y, n: torch.cat([x, y[:, None].float() / (n - 1)], 1), "one number"),
    "hard-coded 10": (lambda x, y, n: torch.cat([x, F.one_hot(y, 10).float()], 1), "hard-code"),
    "no num_classes": (lambda x, y, n: torch.cat([x, F.one_hot(y).float()], 1), "num_classes"),
    "one-hot first": (lambda x, y, n: torch.cat([F.one_hot(y, n).float(), x], 1), "first"),
    "reversed order": (lambda x, y, n: torch.cat([x, F.one_hot(n - 1 - y, n).float()], 1), "reversed"),
    "shifted class": (lambda x, y, n: torch.cat([x, F.one_hot((y + 1) % n, n).float()], 1), "column y[n]"),
    "integer result": (lambda x, y, n: torch.cat([x.long(), F.one_hot(y, n)], 1), "float"),
    "numpy": (lambda x, y, n: torch.from_numpy(np.concatenate([x.detach().numpy(), np.eye(n, dtype=np.float32)[y.numpy()]], 1)),
              "gradients"),
    "x changed": (lambda x, y, n: torch.cat([x.mul_(1.0).add_(0.0).clamp_(-1, 1), F.one_hot(y, n).float()], 1), "in place"),
}


@pytest.mark.parametrize("name", EX1_WRONG)
def test_ex1_wrong_answers_are_named(name):
    fn, word = EX1_WRONG[name]
    _wrong(ex1, fn, word)


# ---------------------------------------------------------------- exercise 2: conditioning_fidelity

def _fid_loop(judge, samples, labels, n_classes):
    judge.eval()
    with torch.no_grad():
        probs = torch.softmax(judge(samples), dim=1)
    pred = probs.argmax(dim=1).numpy()
    lab = labels.numpy()
    return [float(np.mean(pred[lab == c] == c)) for c in range(n_classes)]


def _fid_bincount(judge, samples, labels, n_classes):
    pred = judge(samples).detach().argmax(1)
    hits = torch.bincount(labels[pred == labels], minlength=n_classes).float()
    return hits / torch.bincount(labels, minlength=n_classes).float()


@pytest.mark.parametrize("right", [_fid_loop, _fid_bincount], ids=["numpy-list", "bincount"])
def test_ex2_correct_answers_written_differently_pass(right):
    out = ex2.grade(right)
    assert out.status == CORRECT, out.en


def _pred(judge, samples):
    return judge(samples).detach().argmax(1)


EX2_WRONG = {
    "overall accuracy": (lambda j, s, l, n: (_pred(j, s) == l).float().mean().repeat(n), "overall"),
    "divided by all": (lambda j, s, l, n: torch.stack([((_pred(j, s) == c) & (l == c)).float().sum() / len(l)
                                                       for c in range(n)]), "all samples"),
    "precision": (lambda j, s, l, n: torch.stack([(l[_pred(j, s) == c] == c).float().mean() for c in range(n)]),
                  "judge's answer"),
    "threshold": (lambda j, s, l, n: torch.stack([((_pred(j, s) == c) & (torch.softmax(j(s), 1).max(1).values > 0.9))[l == c]
                                                  .float().mean() for c in range(n)]), "confident"),
    "argmax over dim 0": (lambda j, s, l, n: torch.stack([(j(s).detach().argmax(0)[c] == c).float() for c in range(n)]),
                          "labels == c"),
    "hard-coded 10": (lambda j, s, l, n: torch.stack([(_pred(j, s)[l == c] == c).float().mean() for c in range(10)]),
                      "n_classes"),
}


@pytest.mark.parametrize("name", EX2_WRONG)
def test_ex2_wrong_answers_are_named(name):
    fn, word = EX2_WRONG[name]
    _wrong(ex2, fn, word)


# ---------------------------------------------------------------- exercise 3: class_grid

def _grid_loop(decode, z, n_classes):
    out = []
    for c in range(n_classes):
        out.append(decode(z, torch.tensor([c] * len(z))))
    return torch.vstack(out)


def _grid_repeat(decode, z, n_classes):
    zz = z.repeat(n_classes, 1)                                   # z, z, z, ... block by block
    yy = torch.arange(n_classes).repeat_interleave(len(z))
    return decode(zz, yy)


def _grid_stack(decode, z, n_classes):
    """torch.stack: shape (K, n, P), the blocks one above the other (technical review 2026-12, E1)."""
    return torch.stack([decode(z, torch.full((len(z),), c)) for c in range(n_classes)])


@pytest.mark.parametrize("right", [_grid_loop, _grid_repeat, _grid_stack], ids=["loop", "repeat", "stack"])
def test_ex3_correct_answers_written_differently_pass(right):
    out = ex3.grade(right)
    assert out.status == CORRECT, out.en


def test_ex3_works_with_the_real_cvae():
    m = CVAE(latent=3, hidden=8, n_classes=4, n_pixels=6)
    grid = _solution(ex3)(m.decode, torch.zeros(2, 3), 4)
    assert grid.shape == (8, 6) and torch.allclose(grid[2:4], m.decode(torch.zeros(2, 3), torch.full((2,), 1)))


EX3_WRONG = {
    "z-major order": (lambda d, z, n: d(z.repeat_interleave(n, 0), torch.arange(n).repeat(len(z))), "class by class"),
    "reversed classes": (lambda d, z, n: torch.cat([d(z, torch.full((len(z),), c)) for c in reversed(range(n))]),
                         "reverse"),
    "fresh z per class": (lambda d, z, n: torch.cat([d(torch.randn_like(z), torch.full((len(z),), c)) for c in range(n)]),
                          "do not draw new codes"),
    "logits": (lambda d, z, n: torch.cat([d.logits(z, torch.full((len(z),), c)) for c in range(n)]), "logits"),
    "hard-coded 10": (lambda d, z, n: torch.cat([d(z, torch.full((len(z),), c % n)) for c in range(10)]), "hard-code"),
    "float label": (lambda d, z, n: torch.cat([d(z, torch.full((len(z),), float(c))) for c in range(n)]), "raised"),
    "same label": (lambda d, z, n: torch.cat([d(z, torch.zeros(len(z), dtype=torch.long)) for c in range(n)]),
                   "decode(z, c)"),
    "stack along dim 1": (lambda d, z, n: torch.stack([d(z, torch.full((len(z),), c)) for c in range(n)], 1),
                          "class by class"),
    "stack of image-shaped blocks": (lambda d, z, n: torch.stack([d(z, torch.full((len(z),), c)).view(len(z), 2, 3)
                                                                  for c in range(n)]), "torch.cat"),
}


@pytest.mark.parametrize("name", EX3_WRONG)
def test_ex3_wrong_answers_are_named(name):
    fn, word = EX3_WRONG[name]
    _wrong(ex3, fn, word)
