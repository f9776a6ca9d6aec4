"""The checkers of chapter 13, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils import applications as app
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch13 import ex1, ex2, ex3


@pytest.mark.parametrize("ex,name", [(ex1, "complexity_score"), (ex2, "missing_mse"), (ex3, "log_acceptance")],
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


# ---------------------------------------------------------------- exercise 2 (missing pixels)

def _mse_numpy(x_hat, x, missing):                      # one image at a time, NumPy
    rows = [float(((a - b) ** 2)[m].mean()) for a, b, m in zip(x_hat.numpy(), x.numpy(), missing.numpy())]
    return torch.tensor(rows)


@pytest.mark.parametrize("right", [_mse_numpy, lambda x_hat, x, m: app.missing_error(x_hat, x, m)],
                         ids=["numpy-loop", "library"])
def test_ex2_right_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


EX1_WRONG = {
    "all pixels": (lambda x_hat, x, m: ((x_hat - x) ** 2).flatten(1).mean(1), "all 784 pixels"),
    "sum only": (lambda x_hat, x, m: (((x_hat - x) ** 2) * m).flatten(1).sum(1), "did not divide"),
    "divide by 784": (lambda x_hat, x, m: (((x_hat - x) ** 2) * m).flatten(1).mean(1), "divided by 784"),
    "average count": (lambda x_hat, x, m: (((x_hat - x) ** 2) * m).flatten(1).sum(1) / (m.sum() / len(m)),
                      "average number"),
    "inverted mask": (lambda x_hat, x, m: (((x_hat - x) ** 2) * ~m).flatten(1).sum(1) / (~m).flatten(1).sum(1),
                      "inverted"),
    "one number": (lambda x_hat, x, m: ((x_hat - x) ** 2)[m].mean(), "one number per image"),
    "root": (lambda x_hat, x, m: ((((x_hat - x) ** 2) * m).flatten(1).sum(1) / m.flatten(1).sum(1)).sqrt(),
             "differs"),
}


@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex2_wrong_answers_name_the_mistake(name):
    fn, phrase = EX1_WRONG[name]
    _grade(ex2, fn, phrase)


# ---------------------------------------------------------------- exercise 3 (log-ratio)

@pytest.mark.parametrize("right", [
    lambda ln, pn, qn, lo, po, qo: (ln + pn + qo) - (lo + po + qn),
    lambda ln, pn, qn, lo, po, qo: torch.from_numpy(np.asarray(ln + pn - qn) - np.asarray(lo + po - qo)),
], ids=["grouped", "numpy"])
def test_ex3_right_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


EX2_WRONG = {
    "q swapped": (lambda ln, pn, qn, lo, po, qo: ln + pn + qn - lo - po - qo, "wrong way round"),
    "no q": (lambda ln, pn, qn, lo, po, qo: ln + pn - lo - po, "symmetric"),
    "no prior": (lambda ln, pn, qn, lo, po, qo: ln - lo + qo - qn, "prior"),
    "sign": (lambda ln, pn, qn, lo, po, qo: -(ln + pn + qo - lo - po - qn), "sign is flipped"),
    "rho itself": (lambda ln, pn, qn, lo, po, qo: (ln + pn + qo - lo - po - qn).exp(), "not rho itself"),
    "min(1, rho)": (lambda ln, pn, qn, lo, po, qo: (ln + pn + qo - lo - po - qn).clamp(max=0).exp(), "not rho"),
    "a float": (lambda ln, pn, qn, lo, po, qo: float((ln + pn + qo - lo - po - qn).sum()), "torch tensor"),
}


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex3_wrong_answers_name_the_mistake(name):
    fn, phrase = EX2_WRONG[name]
    _grade(ex3, fn, phrase)


def test_ex3_solution_matches_the_library_sampler():
    """The reference log-ratio is the one app.impute uses: same pieces, same number."""
    lr = _solution(ex3, "log_acceptance")
    g = torch.Generator().manual_seed(0)
    z_old, z_new, mu = (torch.randn(4, 3, generator=g) for _ in range(3))
    logvar = torch.randn(4, 3, generator=g) * 0.1
    log_prior = lambda z: -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)  # noqa: E731
    lik_new, lik_old = torch.randn(4, generator=g), torch.randn(4, generator=g)
    want = (lik_new + log_prior(z_new) + app._log_normal(z_old, mu, logvar)
            - lik_old - log_prior(z_old) - app._log_normal(z_new, mu, logvar))
    got = lr(lik_new, log_prior(z_new), app._log_normal(z_new, mu, logvar), lik_old, log_prior(z_old),
             app._log_normal(z_old, mu, logvar))
    assert torch.allclose(got, want)


# ---------------------------------------------------------------- exercise 1 (complexity)

@pytest.mark.parametrize("right", [
    lambda nll, bits: app.complexity_corrected_score(app.density_code_length_bits(nll), bits),
    lambda nll, bits: nll / np.log(2) + 6272 - bits,
    lambda nll, bits: -(bits - 784 * math.log2(256)) + nll * math.log2(math.e),
], ids=["library", "numpy-constant", "log2e"])
def test_ex1_right_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


EX3_WRONG = {
    "nats": (lambda nll, bits: nll + 784 * 8 - bits, "nats and bits are mixed"),
    "nats, no constant": (lambda nll, bits: nll - bits, "nats and bits are mixed"),
    "no constant": (lambda nll, bits: nll / math.log(2) - bits, "constant 784 * 8"),
    "sign": (lambda nll, bits: bits - nll / math.log(2) - 784 * 8, "sign is flipped"),
    "times ln 2": (lambda nll, bits: nll * math.log(2) + 784 * 8 - bits, "multiplied by ln 2"),
    "model bits only": (lambda nll, bits: nll / math.log(2) + 784 * 8, "differs"),
}


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex1_wrong_answers_name_the_mistake(name):
    fn, phrase = EX3_WRONG[name]
    _grade(ex1, fn, phrase)


def test_checkers_are_fast():
    import time
    for ex, name in [(ex1, "complexity_score"), (ex2, "missing_mse"), (ex3, "log_acceptance")]:
        start = time.perf_counter()
        ex.grade(_solution(ex, name))
        assert time.perf_counter() - start < 2
