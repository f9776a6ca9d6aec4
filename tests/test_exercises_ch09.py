"""The checkers of chapter 09, graded on their solution, right answers written differently and planted wrong ones."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import stub as _stub
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch09 import ex1, ex2, ex3
from course_utils.losses import negative_elbo


def _solution(ex, name):
    scope = {"torch": torch, "F": F, "np": np}
    exec(ex.solution_code, scope)
    return scope[name]


def _forgot_return(*args):
    answer = args[1] * 0  # noqa: F841  (computed, never returned)


@pytest.mark.parametrize("ex", [ex1, ex2, ex3], ids=["ex1", "ex2", "ex3"])
def test_stub_is_not_attempted_and_missing_return_is_named(ex):
    assert ex.grade(_stub).status == NOT_ATTEMPTED and ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


@pytest.mark.parametrize("ex,name", [(ex1, "beta_vae_loss"), (ex2, "traverse"), (ex3, "mig_from_mi")])
def test_solution_is_correct(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT


def _verdict(ex, fn, *words):
    out = ex.grade(fn)
    assert out.status == INCORRECT, fn
    assert out.en and out.hi
    for w in words:
        assert w in out.en, (w, out.en)
    return out


# ---------------------------------------------------------------- exercise 1

def _recon_kl(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    return recon, kl


def test_ex1_right_answers_written_differently():
    def with_library(logits, x, mu, logvar, beta):
        return negative_elbo(logits, x, mu, logvar, beta=beta)["loss"]

    def with_distributions(logits, x, mu, logvar, beta):
        from torch.distributions import Bernoulli, Normal, kl_divergence
        recon = -Bernoulli(logits=logits).log_prob(x).sum(1)
        q, p = Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu))
        return (recon + beta * kl_divergence(q, p).sum(1)).mean()

    def by_hand(logits, x, mu, logvar, beta):
        log_p = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)
        return -log_p.sum(1).mean() + beta * kl.sum(1).mean()

    for fn in (with_library, with_distributions, by_hand):
        assert ex1.grade(fn).status == CORRECT, fn.__name__


def test_ex1_wrong_answers_name_the_mistake():
    def mean(t):
        return t.mean()
    _verdict(ex1, lambda lo, x, mu, lv, b: mean(b * _recon_kl(lo, x, mu, lv)[0] + _recon_kl(lo, x, mu, lv)[1]),
             "beta multiplies the reconstruction")
    _verdict(ex1, lambda lo, x, mu, lv, b: mean(sum(_recon_kl(lo, x, mu, lv))), "beta is not used")
    _verdict(ex1, lambda lo, x, mu, lv, b: F.binary_cross_entropy_with_logits(lo, x)
             + b * _recon_kl(lo, x, mu, lv)[1].mean(), "averaged over the pixels")
    _verdict(ex1, lambda lo, x, mu, lv, b: _recon_kl(lo, x, mu, lv)[0].mean()
             + b * (-0.5 * (1 + lv - mu ** 2 - lv.exp())).mean(), "averaged over the latent dimensions")
    _verdict(ex1, lambda lo, x, mu, lv, b: (_recon_kl(lo, x, mu, lv)[0] + b * _recon_kl(lo, x, mu, lv)[1]).sum(),
             "summed over the images")
    _verdict(ex1, lambda lo, x, mu, lv, b: F.binary_cross_entropy_with_logits(torch.sigmoid(lo), x,
                                                                              reduction="none").sum(1).mean()
             + b * _recon_kl(lo, x, mu, lv)[1].mean(), "sigmoid twice")
    _verdict(ex1, lambda lo, x, mu, lv, b: (_recon_kl(lo, x, mu, lv)[0] + b * _recon_kl(lo, x, mu, lv)[1]).mean().item(),
             "torch tensor")
    _verdict(ex1, lambda lo, x, mu, lv, b: torch.tensor(
        (_recon_kl(lo, x, mu, lv)[0] + b * _recon_kl(lo, x, mu, lv)[1]).mean().item()), "gradient")

    def under_no_grad(lo, x, mu, lv, b):       # the right number, computed where no gradient is recorded
        with torch.no_grad():
            recon, kl = _recon_kl(lo, x, mu, lv)
            return (recon + b * kl).mean()
    out = _verdict(ex1, under_no_grad, "no_grad", "no gradient")
    assert "no_grad" in out.hi
    # a KL with the wrong sign, written two ways: subtracted, or the closed form without its minus
    out = _verdict(ex1, lambda lo, x, mu, lv, b: (_recon_kl(lo, x, mu, lv)[0] - b * _recon_kl(lo, x, mu, lv)[1]).mean(),
                   "wrong sign")
    assert "sign" in out.hi
    _verdict(ex1, lambda lo, x, mu, lv, b: (_recon_kl(lo, x, mu, lv)[0]
                                            + b * 0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(1)).mean(), "wrong sign")


# ---------------------------------------------------------------- exercise 2

def test_ex2_right_answers_written_differently():
    def with_stack(model, z, dim, values):
        rows = []
        for v in values:
            c = z.clone()
            c[dim] = v
            rows.append(c)
        return model.decode(torch.stack(rows)).detach().view(-1, 1, 28, 28)

    def with_sigmoid(model, z, dim, values):
        Z = z.expand(len(values), -1).clone()
        Z[:, dim] = torch.as_tensor(values)
        return torch.sigmoid(model.decode_logits(Z)).detach()

    for fn in (with_stack, with_sigmoid):
        assert ex2.grade(fn).status == CORRECT, fn.__name__


def test_ex2_wrong_answers_name_the_mistake():
    def logits(model, z, dim, values):
        Z = z.repeat(len(values), 1)
        Z[:, dim] = values
        return model.decode_logits(Z)

    def added(model, z, dim, values):
        Z = z.repeat(len(values), 1)
        Z[:, dim] += values
        return model.decode(Z)

    def in_place(model, z, dim, values):
        out = []
        for v in values:
            z[dim] = v
            out.append(model.decode(z[None]))
        return torch.cat(out)

    def shared(model, z, dim, values):
        Z = z.expand(len(values), -1)        # one shared row: every image gets the last value
        out = z.clone()
        out[dim] = values[-1]
        return model.decode(out.expand(len(values), -1))

    def wrong_dim(model, z, dim, values):
        Z = z.repeat(len(values), 1)
        Z[:, dim + 1] = values
        return model.decode(Z)

    def one_image(model, z, dim, values):
        return model.decode(z[None])

    def rows_not_columns(model, z, dim, values):   # Z[dim] is one whole copy: crashes when len(values) != J
        Z = z.repeat(len(values), 1)
        Z[dim] = values
        with torch.no_grad():
            return model.decode(Z)

    def keeps_the_gradient(model, z, dim, values):  # right images, but plt.imshow(out[0].view(28, 28)) fails
        Z = z.repeat(len(values), 1)
        Z[:, dim] = values
        return model.decode(Z)

    def flat(model, z, dim, values):
        Z = z.repeat(len(values), 1)
        Z[:, dim] = values
        with torch.no_grad():
            return model.decode(Z).flatten()

    out = _verdict(ex2, rows_not_columns, "row `dim`", "Z[:, dim] = values")
    assert "Error" not in out.en and "Z[:, dim]" in out.hi
    out = _verdict(ex2, keeps_the_gradient, "gradient", "no_grad")
    assert "no_grad" in out.hi
    _verdict(ex2, flat, "one 28x28 image per value")
    _verdict(ex2, logits, "logits")
    _verdict(ex2, added, "added")
    _verdict(ex2, in_place, "in place")
    _verdict(ex2, shared, "all images are the same")
    _verdict(ex2, wrong_dim, "dimension 3")
    _verdict(ex2, one_image, "one 28x28 image per value")


# ---------------------------------------------------------------- exercise 3

def test_ex3_right_answers_written_differently():
    def with_torch(mi, entropy):
        top2 = torch.as_tensor(mi).topk(2, dim=0).values
        return ((top2[0] - top2[1]) / torch.as_tensor(entropy)).mean()

    def with_loop(mi, entropy):
        gaps = []
        for k in range(mi.shape[1]):
            col = sorted(mi[:, k], reverse=True)
            gaps.append((col[0] - col[1]) / entropy[k])
        return sum(gaps) / len(gaps)

    def normalise_first(mi, entropy):
        top = -np.sort(-(mi / entropy), axis=0)
        return np.mean(top[0] - top[1])

    for fn in (with_torch, with_loop, normalise_first):
        assert ex3.grade(fn).status == CORRECT, fn.__name__


def test_ex3_wrong_answers_name_the_mistake():
    def top(mi):
        return np.sort(mi, axis=0)[::-1]
    _verdict(ex3, lambda mi, h: float((top(mi)[0] - top(mi)[1]).mean()), "not normalised")
    _verdict(ex3, lambda mi, h: float((top(mi)[0] / h).mean()), "not the gap")
    _verdict(ex3, lambda mi, h: float((np.sort(mi / h, axis=1)[:, -1] - np.sort(mi / h, axis=1)[:, -2]).mean()),
             "axis 1")
    _verdict(ex3, lambda mi, h: float(((mi[0] - mi[1]) / h).mean()), "first two dimensions")
    _verdict(ex3, lambda mi, h: float(((top(mi)[0] - top(mi)[-1]) / h).mean()), "smallest")
    _verdict(ex3, lambda mi, h: float(((top(mi)[0] - top(mi)[1]) / h).sum()), "summed")

    out = _verdict(ex3, lambda mi, h: float(((np.sort(mi, axis=1)[:, -1] - np.sort(mi, axis=1)[:, -2]) / h).mean()),
                   "axis 1", "axis 0")
    assert "broadcast" not in out.en and "axis 0" in out.hi
    _verdict(ex3, lambda mi, h: float((top(mi)[0] - top(mi)[1]).mean() / h.mean()), "ratio of means")

    def sorts_in_place(mi, h):
        mi.sort(axis=0)
        return float(((mi[-1] - mi[-2]) / h).mean())
    _verdict(ex3, sorts_in_place, "in place")

    def rewards_no_information(mi, h):
        top2 = np.sort(mi, axis=0)
        gaps = (top2[-1] - top2[-2]) / h
        return float(gaps.mean()) if mi.any() else 1.0
    _verdict(ex3, rewards_no_information, "must score 0")


def test_checkers_are_fast():
    import time
    for ex, name in [(ex1, "beta_vae_loss"), (ex2, "traverse"), (ex3, "mig_from_mi")]:
        start = time.perf_counter()
        ex.grade(_solution(ex, name))
        assert time.perf_counter() - start < 2.0
