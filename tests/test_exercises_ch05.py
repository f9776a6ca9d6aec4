"""The checkers of chapter 05, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers whose reason must name the mistake."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal, kl_divergence

from exercise_kit import stub as _stub
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch05 import ex1, ex2, ex3
from course_utils.losses import negative_elbo


def _solution(ex, name):
    scope = {"torch": torch, "F": F, "math": math}
    exec(ex.solution_code, scope)
    return scope[name]


def _forgot_return(*args):
    answer = args[0] * 0  # noqa: F841


@pytest.mark.parametrize("ex, name", [(ex1, "gaussian_kl"), (ex2, "neg_elbo"), (ex3, "gaussian_log_likelihood")])
def test_solution_is_correct_and_stub_not_attempted(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


# ---------------------------------------------------------------- exercise 1: the Gaussian KL

def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


@pytest.mark.parametrize("right", [
    lambda mu, lv: kl_divergence(Normal(mu, (0.5 * lv).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    .sum(1).mean(),
    lambda mu, lv: (0.5 * (mu ** 2 + torch.exp(2 * (0.5 * lv)) - 1 - 2 * (0.5 * lv))).sum(-1).mean(),  # log sigma
    lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()) / mu.shape[0],                       # seed 001
    lambda mu, lv: torch.einsum("nd->n", _kl(mu, lv)).mean(),
], ids=["torch.distributions", "log-sigma", "seed-001-pytorch", "einsum"])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong, words", [
    (lambda mu, lv: -_kl(mu, lv).sum(1).mean(), "sign"),
    (lambda mu, lv: _kl(mu, lv).mean(), "averaged over the 4 latent dimensions"),       # seed 001's Keras mean
    (lambda mu, lv: _kl(mu, lv).sum(), "summed over the 16 images"),
    (lambda mu, lv: (mu.pow(2) + lv.exp() - 1 - lv).sum(1).mean(), "1/2"),
    (lambda mu, lv: (0.5 * (mu.pow(2) + (0.5 * lv).exp() - 1 - lv)).sum(1).mean(), "standard deviation"),
    (lambda mu, lv: (0.5 * (mu.pow(2) + (2 * lv).exp() - 1 - 2 * lv)).sum(1).mean(), "log(sigma)"),
    (lambda mu, lv: (0.5 * (mu.pow(2) + lv.exp() - lv)).sum(1).mean(), "constant"),
    (lambda mu, lv: (0.5 * (mu.pow(2) + lv - 1 - torch.log(lv))).sum(1).mean(), "log"),   # logvar read as a variance
    (lambda mu, lv: torch.tensor(_kl(mu, lv).sum(1).mean().item()), "gradient"),
    (lambda mu, lv: _kl(mu, lv).sum(1), "one number"),
    (lambda mu, lv: (0.5 * (mu.pow(2) + lv.exp() - 1 - lv)).sum(1).mean() + 0.3, "Monte Carlo"),
], ids=["sign", "mean-over-dims", "sum-over-images", "no-half", "std-for-var", "log-sigma-confusion",
        "no-minus-one", "logvar-as-variance", "no-grad", "per-image", "off"])
def test_ex1_wrong_answers_name_the_mistake(wrong, words):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT
    assert words in out.en and out.hi


def test_ex1_monte_carlo_property_is_what_fails_a_small_error():
    out = ex1.grade(lambda mu, lv: _kl(mu, lv).sum(1).mean() * 1.05)
    assert out.status == INCORRECT and "Monte Carlo" in out.en


# ---------------------------------------------------------------- exercise 2: one-sample negative ELBO

def _neg_elbo_distributions(logits, x, mu, logvar):
    recon = -Bernoulli(logits=logits).log_prob(x).sum(1)
    q = Normal(mu, (0.5 * logvar).exp())
    return (recon + kl_divergence(q, Normal(0.0, 1.0)).sum(1)).mean()


@pytest.mark.parametrize("right", [
    _neg_elbo_distributions,
    lambda logits, x, mu, lv: negative_elbo(logits, x, mu, lv)["loss"],
    lambda logits, x, mu, lv: (F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
                               - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())) / len(x),
], ids=["torch.distributions", "course_utils", "seed-001-sums"])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


def _bce(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


@pytest.mark.parametrize("wrong, words", [
    (lambda l, x, mu, lv: -(_bce(l, x) + _kl(mu, lv).sum(1)).mean(), "this is the ELBO"),
    (lambda l, x, mu, lv: (_bce(l, x) - _kl(mu, lv).sum(1)).mean(), "PLUS"),
    (lambda l, x, mu, lv: F.binary_cross_entropy_with_logits(l, x) + _kl(mu, lv).sum(1).mean(), "784"),
    (lambda l, x, mu, lv: (_bce(l, x) + _kl(mu, lv).mean(1)).mean(), "latent dimensions"),
    (lambda l, x, mu, lv: (_bce(l, x) + _kl(mu, lv).sum(1)).sum(), "summed over the images"),
    (lambda l, x, mu, lv: _bce(l, x).mean(), "KL term is missing"),
    (lambda l, x, mu, lv: (_bce(torch.sigmoid(l), x) + _kl(mu, lv).sum(1)).mean(), "twice"),
    (lambda l, x, mu, lv: ((torch.sigmoid(l) - x).pow(2).sum(1) + _kl(mu, lv).sum(1)).mean(), "MSE"),
    (lambda l, x, mu, lv: (-(x * torch.log(torch.sigmoid(l)) + (1 - x) * torch.log(1 - torch.sigmoid(l))).sum(1)
                           + _kl(mu, lv).sum(1)).mean(), "logits"),                     # log(0) at logits 30
], ids=["sign", "kl-sign", "mean-over-pixels", "kl-mean-dims", "sum-images", "no-kl", "double-sigmoid", "mse",
        "log-sigmoid"])
def test_ex2_wrong_answers_name_the_mistake(wrong, words):
    out = ex2.grade(wrong)
    assert out.status == INCORRECT
    assert words in out.en and out.hi


# ---------------------------------------------------------------- exercise 3: Gaussian log-likelihood with sigma

@pytest.mark.parametrize("right", [
    lambda x, x_hat, s: Normal(x_hat, s).log_prob(x).sum(1),
    lambda x, x_hat, s: -((x - x_hat) ** 2).sum(-1) / (2 * s * s) - x.shape[-1] * (math.log(s) + 0.5 * math.log(2 * math.pi)),
    lambda x, x_hat, s: torch.tensor([float(Normal(xh, s).log_prob(xi).sum()) for xi, xh in zip(x, x_hat)]),
], ids=["torch.distributions", "log-sigma", "numbers-per-image"])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


def _sq(x, x_hat):
    return (x - x_hat).pow(2).sum(1)


@pytest.mark.parametrize("wrong, words", [
    (lambda x, xh, s: -Normal(xh, s).log_prob(x).sum(1), "negative log-likelihood"),
    (lambda x, xh, s: -_sq(x, xh) / (2 * s**2), "normalising constant"),
    (lambda x, xh, s: -_sq(x, xh) / (2 * s) - 0.5 * 784 * math.log(2 * math.pi * s), "variance is sigma**2"),
    (lambda x, xh, s: Normal(xh, s).log_prob(x).mean(1), "averaged over the pixels"),
    (lambda x, xh, s: -_sq(x, xh) / s**2 - 0.5 * 784 * math.log(2 * math.pi * s**2), "1/2"),
    (lambda x, xh, s: Normal(xh, s).log_prob(x).sum(1).mean(), "one log-likelihood per image"),
    (lambda x, xh, s: Normal(xh, 0.3).log_prob(x).sum(1), "argument sigma"),
], ids=["nll", "no-constant", "sigma-as-variance", "mean-pixels", "no-half", "scalar", "hard-coded-sigma"])
def test_ex3_wrong_answers_name_the_mistake(wrong, words):
    out = ex3.grade(wrong)
    assert out.status == INCORRECT
    assert words in out.en and out.hi


def test_checkers_are_fast():
    import time
    for ex, name in [(ex1, "gaussian_kl"), (ex2, "neg_elbo"), (ex3, "gaussian_log_likelihood")]:
        start = time.perf_counter()
        ex.grade(_solution(ex, name))
        assert time.perf_counter() - start < 2.0
