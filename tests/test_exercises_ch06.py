"""The checkers of chapter 06, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, Normal

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch06 import ex1, ex2, ex3


@pytest.mark.parametrize("ex,name", [(ex1, "reparameterize"), (ex2, "score_function_grad"),
                                     (ex3, "reparameterized_grads")], ids=["ex1", "ex2", "ex3"])
def test_solution_is_correct_and_stub_is_not_attempted(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


# ---------------------------------------------------------------- exercise 1: reparameterize

@pytest.mark.parametrize("right", [
    lambda mu, logvar: Normal(mu, torch.exp(0.5 * logvar)).rsample(),
    lambda mu, logvar: mu + torch.sqrt(logvar.exp()) * torch.randn_like(mu),
    lambda mu, logvar: mu + torch.exp(logvar / 2) * torch.randn(mu.shape),
    lambda mu, logvar: torch.randn_like(mu).mul(logvar.mul(0.5).exp()).add(mu),
    lambda mu, logvar: MultivariateNormal(mu, scale_tril=torch.diag_embed((0.5 * logvar).exp())).rsample(),
    lambda mu, logvar: mu + (2 * logvar).exp() ** 0.25 * torch.randn_like(mu),   # log sigma written differently
], ids=["rsample", "sqrt-exp", "randn-shape", "chained", "multivariate-rsample", "fourth-root"])
def test_ex1_right_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


EX1_WRONG = {
    "exp(logvar) as std": (lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu), "exp(logvar) as the standard"),
    "sample()": (lambda mu, lv: Normal(mu, torch.exp(0.5 * lv)).sample(), ".sample()"),
    "same eps every row": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(mu.shape[1]), "same eps"),
    "mu only": (lambda mu, lv: mu, "z equals mu"),
    "logvar as std": (lambda mu, lv: mu + lv * torch.randn_like(mu), "logvar itself"),
    "uniform eps": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.rand_like(mu), "uniform"),
    "detached": (lambda mu, lv: (mu + torch.exp(0.5 * lv) * torch.randn_like(mu)).detach(), ".detach()"),
    "std detached": (lambda mu, lv: mu + torch.exp(0.5 * lv).detach() * torch.randn_like(mu), "logvar"),
    # one eps per row, shared by every latent dimension: the right mean and variance per dimension, but a
    # rank-1, fully correlated q instead of the diagonal Gaussian (graded CORRECT before the December review)
    "one eps per row": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(mu.shape[0], 1), "share their noise"),
    "one eps per row, expand": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(mu.shape[0]).unsqueeze(1)
                                .expand_as(mu), "share their noise"),
    "one eps for everything": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(1), "same eps"),
    "torch.normal": (lambda mu, lv: torch.normal(mu, torch.exp(0.5 * lv)), "not differentiable"),
    "sample() of a MultivariateNormal": (lambda mu, lv: MultivariateNormal(
        mu, scale_tril=torch.diag_embed((0.5 * lv).exp())).sample(), ".sample()"),
    # a fixed seed inside reparameterize: every call repeats the same noise (graded CORRECT before the second read)
    "fixed generator": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(
        mu.shape, generator=torch.Generator().manual_seed(0)), "two calls gave the same z"),
    "manual_seed inside": (lambda mu, lv: (torch.manual_seed(0), mu + torch.exp(0.5 * lv) * torch.randn_like(mu))[1],
                           "two calls gave the same z"),
    "numpy noise": (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.from_numpy(
        np.random.default_rng(0).standard_normal(mu.shape[1])).float(), "same eps"),
}


@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex1_wrong_answers_name_the_mistake(name):
    fn, phrase = EX1_WRONG[name]
    out = ex1.grade(fn)
    assert out.status == INCORRECT, name
    assert phrase in out.en, (name, out.en)
    assert out.hi and out.hi != out.en


def test_ex1_verdict_does_not_depend_on_the_global_seed():
    right = _solution(ex1, "reparameterize")
    for seed in (1, 2, 3):
        torch.manual_seed(seed)
        assert ex1.grade(right).status == CORRECT
    before = torch.random.get_rng_state()
    ex1.grade(right)
    assert torch.equal(before, torch.random.get_rng_state()), "the checker must not consume the learner's random state"


# ---------------------------------------------------------------- exercise 2: the score-function estimator

def _surrogate(f, mu, sigma, z):
    mu = mu.clone().requires_grad_()
    surrogate = (f(z).detach() * Normal(mu, sigma).log_prob(z).sum(1)).mean()
    (grad,) = torch.autograd.grad(surrogate, [mu])
    return grad


@pytest.mark.parametrize("right", [
    lambda f, mu, sigma, z: torch.mean(f(z).unsqueeze(1) * (z - mu) / sigma.pow(2), dim=0),
    lambda f, mu, sigma, z: (f(z) @ ((z - mu) / sigma ** 2)) / len(z),
    lambda f, mu, sigma, z: _surrogate(f, mu, sigma, z),
    lambda f, mu, sigma, z: torch.from_numpy(np.mean(f(z).numpy()[:, None] * (z - mu).numpy()
                                                     / sigma.numpy() ** 2, axis=0)),
], ids=["unsqueeze", "matmul", "surrogate-loss", "numpy"])
def test_ex2_right_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


EX2_WRONG = {
    "missing f": (lambda f, mu, s, z: ((z - mu) / s ** 2).mean(0), "f(z) is missing"),
    "divide by sigma": (lambda f, mu, s, z: (f(z)[:, None] * (z - mu) / s).mean(0), "not (z - mu) / sigma"),
    "sum, not mean": (lambda f, mu, s, z: (f(z)[:, None] * (z - mu) / s ** 2).sum(0), "summed"),
    "no average": (lambda f, mu, s, z: f(z)[:, None] * (z - mu) / s ** 2, "average over the K samples"),
    "flipped sign": (lambda f, mu, s, z: (f(z)[:, None] * (mu - z) / s ** 2).mean(0), "sign"),
    "no division": (lambda f, mu, s, z: (f(z)[:, None] * (z - mu)).mean(0), "divide by sigma**2"),
    "reparameterized instead": (lambda f, mu, s, z: _grad_of_f(f, z), "should be"),
}


def _grad_of_f(f, z):
    z = z.clone().requires_grad_()
    f(z).sum().backward()
    return z.grad.mean(0)


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex2_wrong_answers_name_the_mistake(name):
    fn, phrase = EX2_WRONG[name]
    out = ex2.grade(fn)
    assert out.status == INCORRECT, name
    assert phrase in out.en, (name, out.en)


# ---------------------------------------------------------------- exercise 3: the reparameterized estimator

def _reparam_by_autograd_grad(f, mu, sigma, eps):
    mu, sigma = mu.clone().requires_grad_(), sigma.clone().requires_grad_()
    return torch.autograd.grad(f(mu + sigma * eps).mean(), [mu, sigma])


def _reparam_by_chain_rule(f, mu, sigma, eps):     # df/dz by autograd, then dz/dmu = 1 and dz/dsigma = eps by hand
    z = (mu + sigma * eps).requires_grad_()
    (dfdz,) = torch.autograd.grad(f(z).sum(), [z])
    return dfdz.mean(0), (dfdz * eps).mean(0)


def _reparam_float32(f, mu, sigma, eps):
    mu, sigma = mu.float().requires_grad_(), sigma.float().requires_grad_()
    f(mu + sigma * eps.float()).mean().backward()
    return mu.grad, sigma.grad


@pytest.mark.parametrize("right", [_reparam_by_autograd_grad, _reparam_by_chain_rule, _reparam_float32],
                         ids=["autograd.grad", "chain-rule", "float32"])
def test_ex3_right_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


def _sum_not_mean(f, mu, sigma, eps):
    mu, sigma = mu.clone().requires_grad_(), sigma.clone().requires_grad_()
    f(mu + sigma * eps).sum().backward()
    return mu.grad, sigma.grad


def _swapped(f, mu, sigma, eps):
    g_mu, g_sigma = _reparam_by_autograd_grad(f, mu, sigma, eps)
    return g_sigma, g_mu


def _no_eps_factor(f, mu, sigma, eps):
    z = (mu + sigma * eps).requires_grad_()
    (dfdz,) = torch.autograd.grad(f(z).sum(), [z])
    return dfdz.mean(0), dfdz.mean(0)


def _score_instead(f, mu, sigma, eps):
    z = mu + sigma * eps
    return (f(z)[:, None] * (z - mu) / sigma ** 2).mean(0), (f(z)[:, None] * ((z - mu) ** 2 / sigma ** 3 - 1 / sigma)).mean(0)


def _one_tensor(f, mu, sigma, eps):
    return _reparam_by_autograd_grad(f, mu, sigma, eps)[0]


EX3_WRONG = {
    "sum, not mean": (_sum_not_mean, "summed"),
    "swapped": (_swapped, "swapped"),
    "no eps factor": (_no_eps_factor, "grad_sigma equals grad_mu"),
    "score instead": (_score_instead, "score-function estimator"),
    "one tensor": (_one_tensor, "two tensors"),
}


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex3_wrong_answers_name_the_mistake(name):
    fn, phrase = EX3_WRONG[name]
    out = ex3.grade(fn)
    assert out.status == INCORRECT, name
    assert phrase in out.en, (name, out.en)


def test_hints_and_solutions_are_bilingual():
    for ex in (ex1, ex2, ex3):
        assert len(ex.hints) == 3
        for hi, en in ex.hints:
            assert hi and en and hi != en
        assert ex.solution_link("hi").endswith(f"06_reparameterization.ipynb#ex-{ex.number}")
