"""The checkers of chapter 04, graded on their solution, correct answers written differently, an untouched
stub and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from exercise_kit import stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch04 import ex1, ex2, ex3


def _solution(ex, name):
    scope = {"torch": torch, "math": math}
    exec(ex.solution_code, scope)
    return scope[name]


@pytest.mark.parametrize("ex", [ex1, ex2, ex3], ids=["ex1", "ex2", "ex3"])
def test_stub_is_not_attempted(ex):
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED


@pytest.mark.parametrize("ex", [ex1, ex2, ex3], ids=["ex1", "ex2", "ex3"])
def test_missing_return_is_named(ex):
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


@pytest.mark.parametrize("ex,name", [(ex1, "sample_prior"), (ex2, "log_mean_exp"), (ex3, "effective_sample_size")])
def test_solution_is_correct(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT


def _grade_wrong(ex, fn, words):
    out = ex.grade(fn)
    assert out.status == INCORRECT, out
    assert out.en and out.hi
    for w in words:
        assert w in out.en, (w, out.en)


# ---------------------------------------------------------------- exercise 1: sampling from the prior

def _prior_normal(decoder, n, latent_dim, generator):
    return decoder(torch.normal(0.0, 1.0, size=(n, latent_dim), generator=generator)).detach()


def _prior_normal_(decoder, n, latent_dim, generator):
    with torch.no_grad():
        return decoder(torch.empty(n, latent_dim).normal_(generator=generator))


def _prior_box_muller(decoder, n, latent_dim, generator):
    u1, u2 = torch.rand(2, n, latent_dim, generator=generator)
    z = torch.sqrt(-2 * torch.log1p(-u1)) * torch.cos(2 * math.pi * u2)
    return decoder(z).detach()


def _prior_numpy(decoder, n, latent_dim, generator):
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    return decoder(torch.from_numpy(z)).detach()


def _prior_batches(decoder, n, latent_dim, generator):
    parts = [decoder(torch.randn(min(1000, n - s), latent_dim, generator=generator)) for s in range(0, n, 1000)]
    return torch.cat(parts).view(n, 1, 28, 28).detach()


@pytest.mark.parametrize("right", [_prior_normal, _prior_normal_, _prior_box_muller, _prior_numpy, _prior_batches])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


def _prior_truncated(decoder, n, latent_dim, generator):
    """The truncation trick: normal draws, rejecting every number beyond ±2.5."""
    z = torch.randn(2 * n * latent_dim, generator=generator)
    z = z[z.abs() < 2.5][: n * latent_dim].view(n, latent_dim)
    with torch.no_grad():
        return decoder(z)


@pytest.mark.parametrize("fn,words", [
    (_prior_truncated, ["truncat", "3.3"]),
    (lambda d, n, k, g: d(torch.randn(n, k, generator=g).clamp(-2.5, 2.5)), ["clip", "3.3"]),
    (lambda d, n, k, g: d(0.95 * torch.randn(n, k, generator=g)), ["standard deviation", "no scaling"]),
    (lambda d, n, k, g: d(torch.rand(n, k, generator=g)), ["torch.rand", "N(0, I)"]),
    (lambda d, n, k, g: d(torch.randn(n, k)), ["`generator` argument"]),
    (lambda d, n, k, g: d(2 * torch.randn(n, k, generator=g)), ["standard deviation"]),
    (lambda d, n, k, g: d(torch.randn(n, k, generator=g).exp()), ["mean"]),
    (lambda d, n, k, g: d(torch.randn(1, k, generator=g).repeat(n, 1)), ["repeat"]),
    (lambda d, n, k, g: d(torch.randn(n, 1, generator=g).repeat(1, k)), ["correlated"]),
    (lambda d, n, k, g: d(torch.randn(k, n, generator=g)), ["(n, latent_dim)"]),
    (lambda d, n, k, g: d(torch.randn(n, 5, generator=g)), ["hard-code", "latent_dim"]),
    (lambda d, n, k, g: torch.randn(n, k, generator=g), ["decoder was never called"]),
    (lambda d, n, k, g: (d(torch.randn(n, k, generator=g)) > 0.5).float(), ["unchanged"]),
    (lambda d, n, k, g: d(torch.randn(n, k, generator=g))[: n // 2], ["(n, 784)"]),
    (lambda d, n, k, g: d((torch.rand(n, k, generator=g) * 2 - 1) * math.sqrt(3)), ["Gaussian"])   # mean 0, std 1,
], ids=["truncated", "clamped", "std-0.95", "uniform", "global-rng", "std-2", "lognormal", "one-code", "one-number-per-sample", "transposed",
        "hard-coded-dim", "no-decoder", "binarised", "half", "box"])
def test_ex1_wrong_answers_name_the_mistake(fn, words):
    _grade_wrong(ex1, fn, words)


# ---------------------------------------------------------------- exercise 2: log-mean-exp

def _lme_manual_max(log_w):
    m = log_w.max(dim=-1, keepdim=True).values
    return (m + torch.log(torch.mean(torch.exp(log_w - m), dim=-1, keepdim=True))).squeeze(-1)


def _lme_float64(log_w):
    a = log_w.double()
    m = a.amax(-1, keepdim=True)
    return (a - m).exp().mean(-1).log() + m.squeeze(-1)


def _lme_numpy(log_w):
    from scipy.special import logsumexp
    return torch.from_numpy(np.asarray(logsumexp(log_w.numpy(), axis=-1) - np.log(log_w.shape[-1])))


def _lme_logaddexp_reduce(log_w):
    out = log_w[..., 0]
    for k in range(1, log_w.shape[-1]):
        out = torch.logaddexp(out, log_w[..., k])
    return out - math.log(log_w.shape[-1])


@pytest.mark.parametrize("right", [_lme_manual_max, _lme_float64, _lme_numpy, _lme_logaddexp_reduce])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


def _lme_global_max(log_w):
    m = log_w.max()
    return m + torch.log(torch.mean(torch.exp(log_w - m), dim=-1))


@pytest.mark.parametrize("fn,words", [
    (lambda a: a.exp().mean(-1).log(), ["underflow", "max"]),
    (lambda a: a.double().exp().mean(-1).log(), ["underflow", "float64"]),
    (lambda a: torch.logsumexp(a, -1), ["SUM", "log K"]),
    (lambda a: a.mean(-1), ["mean of the logs", "Jensen"]),
    (lambda a: a.max(-1).values, ["largest"]),
    (lambda a: torch.logsumexp(a, 0) - math.log(a.shape[0]), ["dim 0"]),
    (_lme_global_max, ["ROW"]),
    (lambda a: torch.logsumexp(a, -1) - math.log(50), ["hard-code"]),   # K hard-coded: right on (4, 50) only
    (lambda a: (a - a.max(-1, keepdim=True).values).exp().mean(-1).log(), ["answer is"]),   # max not added back
], ids=["naive", "naive-float64", "no-log-K", "mean-of-log", "max-only", "dim-0", "global-max", "hard-coded-K",
        "max-not-added-back"])
def test_ex2_wrong_answers_name_the_mistake(fn, words):
    _grade_wrong(ex2, fn, words)


# ---------------------------------------------------------------- exercise 3: effective sample size

def _ess_logsumexp(log_w):
    return torch.exp(2 * torch.logsumexp(log_w, -1) - torch.logsumexp(2 * log_w, -1))


def _ess_shifted(log_w):
    w = torch.exp(log_w - log_w.max(-1, keepdim=True).values)
    return w.sum(-1) ** 2 / (w ** 2).sum(-1)


def _ess_float64_numpy(log_w):
    a = log_w.double().numpy()
    w = np.exp(a - a.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return torch.from_numpy(1.0 / (w ** 2).sum(-1))


def _ess_distributions(log_w):
    p = torch.distributions.Categorical(logits=log_w).probs
    return 1 / p.pow(2).sum(-1)


@pytest.mark.parametrize("right", [_ess_logsumexp, _ess_shifted, _ess_float64_numpy, _ess_distributions])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


@pytest.mark.parametrize("fn,words", [
    (lambda a: a.exp().sum(-1) ** 2 / (a.exp() ** 2).sum(-1), ["nan", "underflow"]),
    (lambda a: a.sum(-1) ** 2 / (a ** 2).sum(-1), ["log weights as if"]),
    (lambda a: 1 / torch.exp(a - a.max(-1, keepdim=True).values).pow(2).sum(-1), ["normalised"]),
    (lambda a: _ess_logsumexp(a) / a.shape[-1], ["ESS / K"]),
    (lambda a: 1 / _ess_logsumexp(a), ["1 / ESS"]),
    (lambda a: _ess_logsumexp(a.flatten()).expand(a.shape[0]).clone(), ["ESS is"]),
    (lambda a: torch.softmax(a, dim=0).pow(2).sum(0).reciprocal(), ["shape (3,)"]),
], ids=["naive-exp", "log-weights", "unnormalised", "share", "inverted", "pooled-rows", "wrong-dim"])
def test_ex3_wrong_answers_name_the_mistake(fn, words):
    _grade_wrong(ex3, fn, words)
