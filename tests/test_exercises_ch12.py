"""The checkers of chapter 12, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch12 import ex1, ex2, ex3


@pytest.mark.parametrize("ex,name", [(ex1, "iwae_bound"), (ex2, "effective_sample_size"), (ex3, "frechet_distance")],
                         ids=["ex1", "ex2", "ex3"])
def test_solution_is_correct_and_stub_is_not_attempted(ex, name):
    scope_fn = _solution_with_math(ex, name)
    assert ex.grade(scope_fn).status == CORRECT
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _solution_with_math(ex, name):
    return _solution(ex, name)          # the solution code imports what it needs beyond torch


def _grade(ex, fn, phrase):
    out = ex.grade(fn)
    assert out.status == INCORRECT, out.status
    assert phrase in out.en, out.en
    assert out.hi and out.hi != out.en


# ---------------------------------------------------------------- exercise 1

@pytest.mark.parametrize("right", [
    lambda lw: torch.logsumexp(lw, 1) - math.log(lw.shape[1]),
    lambda lw: torch.logsumexp(lw.float(), 1) - math.log(lw.shape[1]),                                  # float32
    lambda lw: lw.max(1).values + torch.log(torch.exp(lw - lw.max(1, keepdim=True).values).mean(1)),   # by hand
    lambda lw: torch.from_numpy(np.logaddexp.reduce(lw.numpy(), axis=1) - np.log(lw.shape[1])),        # NumPy
], ids=["logsumexp", "float32", "max-shift", "numpy"])
def test_ex1_right_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


EX1_WRONG = {
    "mean of log weights (the ELBO)": (lambda lw: lw.mean(1), "ELBO"),
    "no - log k": (lambda lw: torch.logsumexp(lw, 1), "log k"),
    "largest weight": (lambda lw: lw.max(1).values, "largest log weight"),
    "naive exp underflows": (lambda lw: torch.log(torch.exp(lw).mean(1)), "logsumexp"),
    "minus k": (lambda lw: torch.logsumexp(lw, 1) - lw.shape[1], "subtracted k"),
    "one number for all images": (lambda lw: torch.logsumexp(lw.flatten(), 0) - math.log(lw.numel()), "one value per image"),
    "wrong axis": (lambda lw: torch.logsumexp(lw, 0) - math.log(lw.shape[0]), "shape"),
}


@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex1_wrong_answers_name_the_mistake(name):
    fn, phrase = EX1_WRONG[name]
    _grade(ex1, fn, phrase)


# ---------------------------------------------------------------- exercise 2

@pytest.mark.parametrize("right", [
    lambda lw: torch.exp(2 * torch.logsumexp(lw, 1) - torch.logsumexp(2 * lw, 1)),
    lambda lw: (lambda w: w.sum(1) ** 2 / (w ** 2).sum(1))(torch.exp(lw - lw.max(1, keepdim=True).values)),
    lambda lw: 1 / (torch.softmax(lw, 1) ** 2).sum(1),                   # 1 / sum of squared normalised weights
], ids=["logsumexp", "shifted", "softmax"])
def test_ex2_right_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


EX2_WRONG = {
    "naive exp": (lambda lw: torch.exp(lw).sum(1) ** 2 / torch.exp(lw).pow(2).sum(1), "nan"),
    "inverse": (lambda lw: (torch.softmax(lw, 1) ** 2).sum(1), "inverse"),
    "ESS / k": (lambda lw: 1 / (torch.softmax(lw, 1) ** 2).sum(1) / lw.shape[1], "ESS / k"),
    "ESS of the log weights": (lambda lw: lw.sum(1) ** 2 / (lw ** 2).sum(1), "log weights themselves"),
}


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex2_wrong_answers_name_the_mistake(name):
    fn, phrase = EX2_WRONG[name]
    _grade(ex2, fn, phrase)


# ---------------------------------------------------------------- exercise 3

def _sqrtm(m):
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T


def _fd(a, b, mean=lambda d: d.pow(2).sum(), cross=lambda ca, cb: _sqrtm(_sqrtm(ca) @ cb @ _sqrtm(ca)).trace(),
        two=2.0, root=False):
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    v = float(mean(a.mean(0) - b.mean(0)) + ca.trace() + cb.trace() - two * cross(ca, cb))
    return math.sqrt(max(v, 0)) if root else v


def _fd_scipy(a, b):
    from scipy import linalg
    ca, cb = np.cov(a.numpy().T), np.cov(b.numpy().T)
    cross = linalg.sqrtm(ca @ cb)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * np.trace(cross.real))


@pytest.mark.parametrize("right", [_fd, _fd_scipy], ids=["eigh", "scipy-sqrtm"])
def test_ex3_right_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


EX3_WRONG = {
    "no mean term": (lambda a, b: _fd(a, b, mean=lambda d: 0 * d.sum()), "mean term"),
    "mean length": (lambda a, b: _fd(a, b, mean=lambda d: d.norm()), "squared distance"),
    "element-wise root": (lambda a, b: _fd(a, b, cross=lambda ca, cb: (ca * cb).clamp_min(0).sqrt().trace()),
                          "element-wise"),
    "product of roots": (lambda a, b: _fd(a, b, cross=lambda ca, cb: (_sqrtm(ca) @ _sqrtm(cb)).trace()),
                         "commute"),
    "no factor 2": (lambda a, b: _fd(a, b, two=1.0), "factor 2"),
    "square root": (lambda a, b: _fd(a, b, root=True), "square root"),
    "means only": (lambda a, b: float((a.mean(0) - b.mean(0)).pow(2).sum()), "check the covariances"),
    "divided by N": (lambda a, b: _fd_biased(a, b), "divided the covariances by N"),
    "rows as variables": (lambda a, b: _fd_rows(a, b), "torch.cov(a.T)"),
}


def _fd_biased(a, b):
    ca, cb = torch.cov(a.T, correction=0), torch.cov(b.T, correction=0)
    return float((a.mean(0) - b.mean(0)).pow(2).sum() + ca.trace() + cb.trace()
                 - 2 * _sqrtm(_sqrtm(ca) @ cb @ _sqrtm(ca)).trace())


def _fd_rows(a, b):                      # torch.cov(a): rows taken as the variables (the features are in columns)
    ca, cb = torch.cov(a), torch.cov(b)
    return float((a.mean(0) - b.mean(0)).pow(2).sum() + ca.trace() + cb.trace()
                 - 2 * _sqrtm(_sqrtm(ca) @ cb @ _sqrtm(ca)).trace())


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex3_wrong_answers_name_the_mistake(name):
    fn, phrase = EX3_WRONG[name]
    out = ex3.grade(fn)
    assert out.status == INCORRECT and out.hi
    assert phrase in out.en, out.en


def test_solution_functions_agree_with_the_library():
    from course_utils import evaluation as ev
    g = torch.Generator().manual_seed(0)
    lw = torch.randn(4, 30, generator=g, dtype=torch.float64) * 5 - 300
    assert torch.allclose(_solution_with_math(ex1, "iwae_bound")(lw), ev.iwae_bound(lw))
    assert torch.allclose(_solution_with_math(ex2, "effective_sample_size")(lw), ev.effective_sample_size(lw))
    a, b = torch.randn(200, 5, generator=g), torch.randn(150, 5, generator=g) * 2
    assert _solution_with_math(ex3, "frechet_distance")(a, b) == pytest.approx(ev.frechet_distance(a, b), rel=1e-9)
