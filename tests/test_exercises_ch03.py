"""The checkers of chapter 03, graded on their solution, an untouched stub and planted wrong answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch03 import ex1, ex2, ex3


# ---------------------------------------------------------------- exercise 1: KL sparsity

def test_ex1_solution_is_correct():
    assert ex1.grade(_solution(ex1, "kl_sparsity")).status == CORRECT


def test_ex1_stub_is_not_attempted():
    assert ex1.grade(_stub).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


@pytest.mark.parametrize("ex", [ex1, ex2, ex3], ids=["ex1", "ex2", "ex3"])
def test_missing_return_is_named(ex):
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _kl(rho, q):
    return rho * torch.log(rho / q) + (1 - rho) * torch.log((1 - rho) / (1 - q))


def test_ex1_wrong_answers_are_incorrect():
    wrong = {
        "mean over units": lambda a, rho: _kl(rho, a.mean(0)).mean(),
        "rho_hat over dim 1": lambda a, rho: _kl(rho, a.mean(1)).sum(),
        "swapped arguments": lambda a, rho: _kl(a.mean(0), torch.tensor(rho)).sum(),
        "first term only": lambda a, rho: (rho * torch.log(rho / a.mean(0))).sum(),
        "per activation": lambda a, rho: _kl(rho, a).sum(1).mean(),
        "hard-coded rho": lambda a, rho: _kl(0.05, a.mean(0)).sum(),
        "no gradient": lambda a, rho: torch.tensor(_kl(rho, a.mean(0)).sum().item()),
        "python float": lambda a, rho: _kl(rho, a.mean(0)).sum().item(),
    }
    for name, fn in wrong.items():
        outcome = ex1.grade(fn)
        assert outcome.status == INCORRECT, name
        assert outcome.en and outcome.hi, name


def test_ex1_reasons_name_the_mistake():
    assert "sum over the units" in ex1.grade(lambda a, rho: _kl(rho, a.mean(0)).mean()).en
    assert "swapped" in ex1.grade(lambda a, rho: _kl(a.mean(0), torch.tensor(rho)).sum()).en


def test_ex1_clamped_answer_is_still_correct():
    clamped = lambda a, rho: _kl(rho, a.mean(0).clamp(1e-6, 1 - 1e-6)).sum()  # noqa: E731
    assert ex1.grade(clamped).status == CORRECT


def _kl_torch_distributions(a, rho):
    from torch.distributions import Bernoulli, kl_divergence
    rho_hat = a.mean(0)
    return kl_divergence(Bernoulli(probs=torch.full_like(rho_hat, rho)), Bernoulli(probs=rho_hat)).sum()


def _kl_as_bce_minus_entropy(a, rho):  # KL(rho || rho_hat) = cross-entropy - H(rho)
    rho_hat = a.mean(0)
    entropy = -(rho * math.log(rho) + (1 - rho) * math.log(1 - rho))
    return F.binary_cross_entropy(rho_hat, torch.full_like(rho_hat, rho), reduction="sum") - len(rho_hat) * entropy


def _kl_xlogy(a, rho):
    rho_hat, r = a.sum(0) / a.shape[0], torch.tensor(rho)
    return (torch.xlogy(r, r / rho_hat) + torch.xlogy(1 - r, (1 - r) / (1 - rho_hat))).sum()


def _kl_log_differences(a, rho):
    rho_hat = a.mean(0)
    return torch.sum(rho * (math.log(rho) - rho_hat.log()) + (1 - rho) * (math.log(1 - rho) - torch.log1p(-rho_hat)))


@pytest.mark.parametrize("right", [_kl_torch_distributions, _kl_as_bce_minus_entropy, _kl_xlogy, _kl_log_differences])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong", [
    lambda a, rho: F.binary_cross_entropy(a.mean(0), torch.full_like(a.mean(0), rho), reduction="sum"),
    lambda a, rho: F.binary_cross_entropy(a.mean(0), torch.full_like(a.mean(0), rho)),     # default: the mean
], ids=["bce-sum", "bce-mean"])
def test_ex1_cross_entropy_without_the_entropy_is_named(wrong):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT and "cross-entropy" in out.en and "H(rho)" in out.en


# ---------------------------------------------------------------- exercise 2: masking noise

def test_ex2_solution_is_correct():
    assert ex2.grade(_solution(ex2, "masking_noise")).status == CORRECT


def test_ex2_course_utils_version_is_correct():
    from course_utils.noise import masking_noise
    assert ex2.grade(masking_noise).status == CORRECT


def test_ex2_stub_is_not_attempted():
    assert ex2.grade(_stub).status == NOT_ATTEMPTED


def _masking_bernoulli(x, p, generator):
    return x * torch.bernoulli(torch.full_like(x, 1 - p), generator=generator)


def _masking_clone_and_index(x, p, generator):
    noisy = x.clone()
    noisy[torch.rand(x.shape, generator=generator) < p] = 0
    return noisy


@pytest.mark.parametrize("right", [
    _masking_bernoulli,
    _masking_clone_and_index,
    lambda x, p, g: torch.where(torch.rand(x.shape, generator=g) < p, torch.zeros_like(x), x),
    lambda x, p, g: x.masked_fill(torch.rand(x.shape, generator=g) < p, 0.0),
    lambda x, p, g: x * (torch.rand(x.shape, generator=g) < 1 - p).float(),
], ids=["bernoulli", "clone-index", "where", "masked_fill", "keep-below-1-p"])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


def _in_place(x, p, generator):
    x.mul_(torch.rand(x.shape, generator=generator) >= p)
    return x


def test_ex2_wrong_answers_are_incorrect():
    wrong = {
        "dropout rescales": lambda x, p, g: x * (torch.rand(x.shape, generator=g) >= p) / (1 - p),
        "F.dropout": lambda x, p, g: F.dropout(x, p, training=True),
        "p is keep probability": lambda x, p, g: x * (torch.rand(x.shape, generator=g) < p),
        "whole images": lambda x, p, g: x * (torch.rand(len(x), 1, 1, 1, generator=g) >= p),
        "one mask for all": lambda x, p, g: x * (torch.rand(x.shape[1:], generator=g) >= p),
        "ignores generator": lambda x, p, g: x * (torch.rand(x.shape) >= p),
        "in place": _in_place,
        "returns the mask": lambda x, p, g: (torch.rand(x.shape, generator=g) >= p).float(),
    }
    for name, fn in wrong.items():
        outcome = ex2.grade(fn)
        assert outcome.status == INCORRECT, name
    assert "dropout" in ex2.grade(wrong["dropout rescales"]).en
    assert "DROP" in ex2.grade(wrong["p is keep probability"]).en
    assert "in place" in ex2.grade(wrong["in place"]).en
    assert "whole images" in ex2.grade(wrong["whole images"]).en
    assert "own random mask" in ex2.grade(wrong["one mask for all"]).en
    assert "`generator` argument" in ex2.grade(wrong["ignores generator"]).en


def test_ex2_dropped_pixels_must_become_zero():
    to_one = lambda x, p, g: torch.where(torch.rand(x.shape, generator=g) < p, torch.ones_like(x), x)  # noqa: E731
    out = ex2.grade(to_one)
    assert out.status == INCORRECT and "become 1" in out.en


# ---------------------------------------------------------------- exercise 3: AUROC by hand

def test_ex3_solution_is_correct():
    assert ex3.grade(_solution(ex3, "auroc_by_hand")).status == CORRECT


def test_ex3_matches_scikit_learn_on_the_solution():
    from sklearn.metrics import roc_auc_score
    fn = _solution(ex3, "auroc_by_hand")
    g = torch.Generator().manual_seed(0)
    labels = torch.rand(500, generator=g) < 0.1
    scores = torch.randint(0, 20, (500,), generator=g).float() + 3 * labels
    assert abs(fn(scores, labels) - roc_auc_score(labels.numpy(), scores.numpy())) < 1e-6


def test_ex3_stub_is_not_attempted():
    assert ex3.grade(_stub).status == NOT_ATTEMPTED


def _auroc_scikit_learn(scores, labels):  # returns a NumPy float64
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(labels.numpy(), scores.numpy())


def _auroc_by_ranks(scores, labels):  # Mann-Whitney U with average ranks for ties
    from scipy.stats import rankdata
    ranks = torch.from_numpy(rankdata(scores.numpy()))
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auroc_loop(scores, labels):
    pos, neg = scores[labels].tolist(), scores[~labels].tolist()
    total = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return total / (len(pos) * len(neg))


def _auroc_trapezoid(scores, labels):
    from sklearn.metrics import auc, roc_curve
    fpr, tpr, _ = roc_curve(labels.numpy(), scores.numpy())
    return auc(fpr, tpr)


@pytest.mark.parametrize("right", [
    lambda s, y: float(_auroc_scikit_learn(s, y)),
    _auroc_scikit_learn,                                                                      # a NumPy float
    _auroc_by_ranks,
    _auroc_loop,
    _auroc_trapezoid,
    lambda s, y: ((s[y][:, None] > s[~y][None, :]).float()
                  + 0.5 * (s[y][:, None] == s[~y][None, :]).float()).mean(),               # a 0-d tensor
    lambda s, y: np.float32(_auroc_by_ranks(s, y)),
], ids=["sklearn-float", "sklearn-numpy", "ranks", "loop", "trapezoid", "tensor", "float32"])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


def _pairs(scores, labels, tie_weight):
    pos, neg = scores[labels], scores[~labels]
    return float(((pos[:, None] > neg[None, :]).float() + tie_weight * (pos[:, None] == neg[None, :]).float()).mean())


def test_ex3_wrong_answers_are_incorrect():
    wrong = {
        "flipped sign": lambda s, y: _pairs(-s, y, 0.5),
        "ties count 0": lambda s, y: _pairs(s, y, 0.0),
        "ties count 1": lambda s, y: _pairs(s, y, 1.0),
        "accuracy at the median": lambda s, y: float(((s > s.median()) == y).float().mean()),
        "a tensor of pairs": lambda s, y: (s[y][:, None] > s[~y][None, :]).float(),
        "labels swapped": lambda s, y: _pairs(s, ~y, 0.5),
        "count, not fraction": lambda s, y: _pairs(s, y, 0.5) * int(y.sum()) * int((~y).sum()),
    }
    for name, fn in wrong.items():
        assert ex3.grade(fn).status == INCORRECT, name
    assert "flipped" in ex3.grade(wrong["flipped sign"]).en
    assert "1/2" in ex3.grade(wrong["ties count 0"]).en
    assert "flipped" in ex3.grade(wrong["labels swapped"]).en
    assert "fraction" in ex3.grade(wrong["count, not fraction"]).en


def test_hints_and_solutions_are_bilingual():
    for ex in (ex1, ex2, ex3):
        assert len(ex.hints) == 3
        for hi, en in ex.hints:
            assert hi and en and hi != en
        assert ex.solution_link("hi").endswith(f"03_autoencoder_family.ipynb#ex-{ex.number}")
