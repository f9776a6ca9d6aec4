"""The checkers of chapter 11, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch11 import ex1, ex2, ex3


@pytest.mark.parametrize("ex,name", [(ex1, "quantize"), (ex2, "straight_through"), (ex3, "perplexity")],
                         ids=["ex1", "ex2", "ex3"])
def test_solution_is_correct_and_stub_is_not_attempted(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _grade(ex, fn, phrase):
    out = ex.grade(fn)
    assert out.status == INCORRECT
    assert phrase in out.en, out.en
    assert out.hi and out.hi != out.en


# ---------------------------------------------------------------- exercise 1

def _q_cdist(z, c):
    i = torch.cdist(z, c).argmin(1)
    return i, c[i]


def _q_loop(z, c):                       # one row at a time, NumPy
    zn, cn = z.numpy(), c.numpy()
    i = np.array([int(np.argmin(((cn - row) ** 2).sum(1))) for row in zn])
    return torch.from_numpy(i), c[torch.from_numpy(i)]


def _q_broadcast(z, c):                  # unsquared distance, broadcast, one-hot matmul for the vectors
    i = (z[:, None, :] - c[None]).norm(dim=2).argmin(1)
    return i, F.one_hot(i, len(c)).to(c.dtype) @ c


@pytest.mark.parametrize("right", [_q_cdist, _q_loop, _q_broadcast], ids=["cdist", "numpy-loop", "one-hot"])
def test_ex1_right_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


EX1_WRONG = {
    "argmax": (lambda z, c: (torch.cdist(z, c).argmax(1), c[torch.cdist(z, c).argmax(1)]), "farthest"),
    "dot product": (lambda z, c: ((z @ c.T).argmax(1), c[(z @ c.T).argmax(1)]), "dot product"),
    "returns z": (lambda z, c: (torch.cdist(z, c).argmin(1), z), "codebook[indices]"),
    "float indices": (lambda z, c: (torch.cdist(z, c).argmin(1).double(), c[torch.cdist(z, c).argmin(1)]),
                      "integers"),
    "one thing": (lambda z, c: c[torch.cdist(z, c).argmin(1)], "two things"),
    "keepdim": (lambda z, c: (torch.cdist(z, c).argmin(1, keepdim=True), c[torch.cdist(z, c).argmin(1)]), "shape"),
}


@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex1_wrong_answers_name_the_mistake(name):
    fn, phrase = EX1_WRONG[name]
    _grade(ex1, fn, phrase)


# ---------------------------------------------------------------- exercise 2

@pytest.mark.parametrize("right", [
    lambda z_e, z_q: z_e + (z_q - z_e).detach(),
    lambda z_e, z_q: z_q.detach() + z_e - z_e.detach(),
    lambda z_e, z_q: (z_q - z_e).detach().add(z_e),
], ids=["reference", "three-terms", "add"])
def test_ex2_right_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


EX2_WRONG = {
    "detach wrong side": (lambda z_e, z_q: z_q + (z_e - z_q).detach(), "wrong term"),
    "only detach": (lambda z_e, z_q: z_q.detach(), "cuts the encoder off"),
    "no detach": (lambda z_e, z_q: z_e + (z_q - z_e), "flows into z_q"),
    "plain z_q": (lambda z_e, z_q: z_q, "flows into z_q"),
    "scaled grad": (lambda z_e, z_q: 2 * z_e + (z_q - 2 * z_e).detach(), "unchanged"),
}


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex2_wrong_answers_name_the_mistake(name):
    fn, phrase = EX2_WRONG[name]
    _grade(ex2, fn, phrase)


# ---------------------------------------------------------------- exercise 3

def _pp_numpy(indices, K):
    counts = np.bincount(np.asarray(indices).reshape(-1), minlength=K)
    p = counts[counts > 0] / counts.sum()
    return float(2 ** (-(p * np.log2(p)).sum()))          # bits and base 2: the same number


def _pp_dist(indices, K):
    counts = torch.bincount(indices.reshape(-1), minlength=K).float()
    return torch.distributions.Categorical(probs=counts / counts.sum()).entropy().exp()


@pytest.mark.parametrize("right", [_pp_numpy, _pp_dist], ids=["numpy-bits", "categorical"])
def test_ex3_right_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


def _pp_parts(indices, K, *, base_log=math.log, base_exp=math.exp, drop_zero=True, norm="total", exp=True,
              flatten=True):
    idx = indices.reshape(-1) if flatten else indices[0].reshape(-1)
    counts = torch.bincount(idx, minlength=K).double()
    p = counts / {"total": counts.sum(), "K": K, "none": 1.0}[norm]
    if drop_zero:
        p = p[p > 0]
    h = -float(sum(float(q) * base_log(float(q)) if q > 0 else float(q) * math.log(1e-300) * 0 + (
        float("nan") if not drop_zero else 0.0) for q in p))
    return base_exp(h) if exp else h


EX3_WRONG = {
    "entropy only": (lambda i, K: _pp_parts(i, K, exp=False), "exp(entropy)"),
    "mixed bases": (lambda i, K: _pp_parts(i, K, base_log=math.log2), "same base"),
    "nan at zero": (lambda i, K: _pp_parts(i, K, drop_zero=False), "nan"),
    "divide by K": (lambda i, K: _pp_parts(i, K, norm="K"), "divided the counts by K"),
    "no flatten": (lambda i, K: _pp_parts(i, K) if i.dim() == 1 else _pp_dist(torch.bincount(i, minlength=K), K),
                   "flatten"),
    "unnormalised": (lambda i, K: _pp_parts(i, K, norm="none"), "unnormalised"),
}


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex3_wrong_answers_name_the_mistake(name):
    fn, phrase = EX3_WRONG[name]
    _grade(ex3, fn, phrase)


def test_checkers_are_fast():
    import time
    for ex, name in [(ex1, "quantize"), (ex2, "straight_through"), (ex3, "perplexity")]:
        start = time.perf_counter()
        ex.grade(_solution(ex, name))
        assert time.perf_counter() - start < 2
