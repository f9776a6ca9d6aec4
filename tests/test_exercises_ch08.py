"""The checkers of chapter 08, graded on their solution, an untouched stub and planted wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import diagnostics
from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch08 import ex1, ex2, ex3


@pytest.mark.parametrize("ex,name", [(ex1, "active_units"), (ex2, "kl_weight"), (ex3, "free_bits_kl")])
def test_solution_is_correct_and_first_def_is_the_answer(ex, name):
    assert ex.solution_code.startswith(f"def {name}(")
    assert ex.grade(_solution(ex, name)).status == CORRECT


@pytest.mark.parametrize("ex", [ex1, ex2, ex3], ids=["ex1", "ex2", "ex3"])
def test_stub_is_not_attempted_and_missing_return_is_named(ex):
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _grade(ex, fn):
    out = ex.grade(fn)
    assert out.en and out.hi
    return out


# ---------------------------------------------------------------- exercise 1: active units

@pytest.mark.parametrize("right", [
    diagnostics.active_units,                                                      # the library's own
    lambda mu, threshold=0.01: int(((mu - mu.mean(0)).pow(2).mean(0) > threshold).sum()),   # population variance
    lambda mu, threshold=0.01: int(np.sum(np.var(mu.numpy(), axis=0) > threshold)),      # NumPy
    lambda mu, threshold=0.01: (torch.cov(mu.T).diagonal() > threshold).sum(),           # a 0-d tensor
], ids=["library", "population-var", "numpy", "cov-diagonal"])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong,words", [
    (lambda mu, t=0.01: int((mu.var(1) > t).sum()), "dim 1"),
    (lambda mu, t=0.01: int((mu.std(0) > t).sum()), "standard deviation"),
    (lambda mu, t=0.01: int((mu.pow(2).mean(0) > t).sum()), "far mu is from 0"),
    (lambda mu, t=0.01: int((mu.abs().mean(0) > t).sum()), "far mu is from 0"),
    (lambda mu, t=0.01: int((mu.var(0) <= t).sum()), "inactive"),
    (lambda mu, t=0.01: mu.var(0) > t, "one integer"),
    (lambda mu, t=0.01: int((mu.var(0) > 0.01).sum()), "hard-code"),
], ids=["var-dim1", "std", "mean-square", "mean-abs", "counts-inactive", "mask", "hard-coded"])
def test_ex1_wrong_answers_name_the_mistake(wrong, words):
    out = _grade(ex1, wrong)
    assert out.status == INCORRECT and words in out.en, out.en


def test_ex1_in_place_change_is_named():
    def centre_in_place(mu, threshold=0.01):
        mu -= mu.mean(0)
        return int((mu.pow(2).mean(0) > threshold).sum())
    out = _grade(ex1, centre_in_place)
    assert out.status == INCORRECT and "in place" in out.en


# ---------------------------------------------------------------- exercise 2: KL warm-up weight

@pytest.mark.parametrize("right", [
    lambda step, warmup: 1.0 if warmup == 0 else min(1.0, (step + 1) / warmup),   # counts steps from 1
    lambda step, warmup: float(np.clip(step / max(warmup, 1e-12), 0, 1)) if warmup else 1.0,
    lambda step, warmup: torch.tensor(step / warmup).clamp(max=1.0) if warmup > 0 else torch.tensor(1.0),
], ids=["from-one", "numpy-clip", "tensor"])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong,words", [
    (lambda s, w: s / w if w else 1.0, "min(1"),
    (lambda s, w: min(1.0, s // w) if w else 1.0, "integer division"),
    (lambda s, w: max(0.0, 1 - s / w) if w else 1.0, "from 1 down"),
    (lambda s, w: min(1.0, s / w), "divides by zero"),
    (lambda s, w: min(1.0, s / 200) if w else 1.0, "hard-code"),
    (lambda s, w: 1.0 if w == 0 else min(1.0, s / w) ** 2, "0.5"),
    (lambda s, w: 0.0 if w == 0 else min(1.0, s / w), "warmup = 0"),
    (lambda s, w: min(1.0, s / max(w, 1)), "kl_weight(0, 0) should be 1"),
], ids=["no-cap", "floor-div", "decreasing", "zero-div", "hard-coded", "quadratic", "zero-warmup-0",
        "max-guard-step-0"])
def test_ex2_wrong_answers_name_the_mistake(wrong, words):
    out = _grade(ex2, wrong)
    assert out.status == INCORRECT and words in out.en, out.en


# ---------------------------------------------------------------- exercise 3: free bits

def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


def _free_bits_distributions(mu, logvar, lam):
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl = torch.distributions.kl_divergence(q, p).mean(0)
    return torch.maximum(kl, torch.full_like(kl, lam)).sum()


def _free_bits_where(mu, logvar, lam):
    kl = _kl(mu, logvar).sum(0) / mu.shape[0]
    return torch.where(kl > lam, kl, torch.zeros_like(kl) + lam).sum()


def test_ex3_the_planted_batch_has_dimensions_on_both_sides_of_lam():
    # the gradient checks need some dims below lam = 0.2 and some above
    from course_utils.exercises.ch08 import _check_free_bits  # noqa: F401
    g = torch.Generator().manual_seed(11)
    scale = torch.tensor([1.5, 1.0, 0.5, 0.1, 0.05, 0.02])
    mu = scale * torch.randn(64, 6, generator=g)
    logvar = torch.log(1 - 0.9 * scale.clamp(max=1) ** 2) + 0.1 * torch.randn(64, 6, generator=g)
    kl = _kl(mu, logvar).mean(0)
    assert (kl < 0.2).sum() >= 2 and (kl > 0.2).sum() >= 2


@pytest.mark.parametrize("right", [_free_bits_distributions, _free_bits_where])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong,words", [
    (lambda mu, lv, lam: _kl(mu, lv).mean(0).sum(), "plain KL"),
    (lambda mu, lv, lam: _kl(mu, lv).clamp(min=lam).sum(1).mean(), "every image"),
    (lambda mu, lv, lam: _kl(mu, lv).mean(0).clamp(min=lam).mean(), "averaged over the latent"),
    (lambda mu, lv, lam: torch.clamp(_kl(mu, lv).mean(0).sum(), min=lam), "plain KL"),  # total above lam
    (lambda mu, lv, lam: _kl(mu, lv).mean(0).clamp(max=lam).sum(), "ceiling"),
    (lambda mu, lv, lam: _kl(mu, lv).mean(0).clamp(min=lam).sum().item(), "torch tensor"),
    (lambda mu, lv, lam: torch.tensor(_kl(mu, lv).mean(0).clamp(min=lam).sum().item()), "gradient"),
    (lambda mu, lv, lam: _kl(mu, lv).mean(0).clamp(min=0.2).sum(), "argument lam"),
], ids=["plain", "per-image", "mean-dims", "total", "min", "item", "detached", "hard-coded"])
def test_ex3_wrong_answers_name_the_mistake(wrong, words):
    out = _grade(ex3, wrong)
    assert out.status == INCORRECT and words in out.en, out.en


def test_ex3_soft_floor_that_still_pushes_small_dims_is_incorrect():
    # right value, wrong gradient: the floor written as lam + relu(kl - lam) plus a tiny leak below lam
    leaky = lambda mu, lv, lam: (lam + torch.nn.functional.leaky_relu(_kl(mu, lv).mean(0) - lam, 1e-9)).sum()  # noqa: E731
    out = _grade(ex3, leaky)
    assert out.status == INCORRECT and "below lam" in out.en
