"""The checkers of chapter 07, graded on their solutions, untouched stubs, answers written differently and
planted wrong answers; every wrong answer's message must name its mistake."""
from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import solution as _solution
from course_utils.exercises import CORRECT, INCORRECT
from course_utils.exercises.ch07 import ex1, ex2, ex3

EXERCISES = {"ex1": ex1, "ex2": ex2, "ex3": ex3}


# The reference answer, the stub, a missing `return` and the hints of every exercise are tested for all
# chapters at once in test_exercises_framework.py; this file plants this chapter's right and wrong answers.


# ---------------------------------------------------------------- exercise 1: train_step

def _reparameterize(mu, logvar):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def _step(recon_fn=None, kl_fn=None, binarize=torch.bernoulli, sample=True, train=True, zero=True,
          out=lambda loss, r, k: {"loss": loss.item(), "recon": r.item(), "kl": k.item()}, z_fn=_reparameterize):
    """A train_step with one ingredient swapped for a mistake."""
    def train_step(model, x, opt):
        if train:
            model.train()
        xb = binarize(x)
        mu, logvar = model.encode(xb)
        z = z_fn(mu, logvar) if sample else mu
        logits = model.decode_logits(z).view_as(xb)
        r = (recon_fn or (lambda lg, t: F.binary_cross_entropy_with_logits(lg, t, reduction="sum") / len(t)))(logits, xb)
        k = (kl_fn or (lambda m, lv: (-0.5 * (1 + lv - m.pow(2) - lv.exp())).sum(1).mean()))(mu, logvar)
        loss = r + k
        if zero:
            opt.zero_grad()
        loss.backward()
        opt.step()
        return out(loss, r, k)
    return train_step


def _step_distributions(model, x, opt):
    """Written with torch.distributions: rsample, Bernoulli log_prob, kl_divergence."""
    from torch.distributions import Bernoulli, Normal, kl_divergence
    model.train()
    xb = (torch.rand_like(x) < x).float()
    mu, logvar = model.encode(xb)
    q = Normal(mu, torch.exp(0.5 * logvar))
    z = q.rsample()
    recon = -Bernoulli(logits=model.decode_logits(z)).log_prob(xb.flatten(1)).sum(1).mean()
    kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1).mean()
    loss = recon + kl
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return {"loss": loss, "recon": recon.detach(), "kl": kl.detach()}


def _step_forward_probabilities(model, x, opt):
    """With model(x) (sigmoid probabilities) and F.binary_cross_entropy: the same loss, computed less safely."""
    model.train()
    opt.zero_grad()
    xb = torch.bernoulli(x)
    x_hat, mu, logvar = model(xb)
    recon = F.binary_cross_entropy(x_hat, xb, reduction="sum") / len(xb)
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar)) / len(xb)
    (recon + kl).backward()
    opt.step()
    return dict(loss=float((recon + kl).detach()), recon=float(recon.detach()), kl=float(kl.detach()))


@pytest.mark.parametrize("right", [_step(), _step_distributions, _step_forward_probabilities,
                                   _step(out=lambda loss, r, k: {"loss": loss, "recon": r, "kl": k})],
                         ids=["reference", "distributions", "probabilities", "tensors"])
def test_ex1_correct_answers_written_differently_pass(right):
    outcome = ex1.grade(right)
    assert outcome.status == CORRECT, outcome.en


EX1_WRONG = {
    "kl mean over dims": (_step(kl_fn=lambda m, lv: (-0.5 * (1 + lv - m.pow(2) - lv.exp())).mean()), "averaged over the latent"),
    "kl summed over images": (_step(kl_fn=lambda m, lv: (-0.5 * (1 + lv - m.pow(2) - lv.exp())).sum()), "summed over the images"),
    "kl sign": (_step(kl_fn=lambda m, lv: (0.5 * (1 + lv - m.pow(2) - lv.exp())).sum(1).mean()), "sign"),
    "recon pixel mean": (_step(recon_fn=lambda lg, t: F.binary_cross_entropy_with_logits(lg, t)), "mean over the pixels"),
    "recon summed over images": (_step(recon_fn=lambda lg, t: F.binary_cross_entropy_with_logits(lg, t, reduction="sum")),
                                 "summed over the images"),
    "sigmoid twice": (_step(recon_fn=lambda lg, t: F.binary_cross_entropy_with_logits(torch.sigmoid(lg), t,
                                                                                       reduction="sum") / len(t)),
                      "sigmoid twice"),
    "grey targets": (_step(binarize=lambda x: x), "grey values"),
    "threshold": (_step(binarize=lambda x: (x > 0.5).float()), "threshold"),
    "fixed draw": (_step(binarize=lambda x: torch.bernoulli(x, generator=torch.Generator().manual_seed(0))),
                   "same targets"),
    "decodes mu": (_step(sample=False), "reparameterization"),
    "eval mode": (_step(train=False), "train()"),
    # the sample itself (each graded CORRECT before the December review): chapter 06's two bug boxes and a
    # rescaled std, then one eps per image shared by the dimensions, uniform noise and a re-seeded generator
    "std = exp(logvar)": (_step(z_fn=lambda m, lv: m + torch.exp(lv) * torch.randn_like(m)), "torch.exp(logvar)"),
    "rescaled std": (_step(z_fn=lambda m, lv: m + 0.1 * torch.exp(0.5 * lv) * torch.randn_like(m)),
                     "no extra factor"),
    "std rescaled by 1.1": (_step(z_fn=lambda m, lv: m + 1.1 * torch.exp(0.5 * lv) * torch.randn_like(m)),
                            "no extra factor"),
    "std rescaled by 0.9": (_step(z_fn=lambda m, lv: m + 0.9 * torch.exp(0.5 * lv) * torch.randn_like(m)),
                            "no extra factor"),
    "one eps for the batch": (_step(z_fn=lambda m, lv: m + torch.exp(0.5 * lv) * torch.randn(m.shape[1])),
                              "same eps"),
    "one eps per image": (_step(z_fn=lambda m, lv: m + torch.exp(0.5 * lv) * torch.randn(m.shape[0], 1)),
                          "share their noise"),
    "uniform eps": (_step(z_fn=lambda m, lv: m + torch.exp(0.5 * lv) * torch.rand_like(m)), "no extra factor"),
    "re-seeded eps": (_step(z_fn=lambda m, lv: m + torch.exp(0.5 * lv) * torch.randn(
        m.shape, generator=torch.Generator().manual_seed(0))), "same z"),
    "no zero_grad": (_step(zero=False), "zero_grad"),
    "wrong return": (_step(out=lambda loss, r, k: loss.item()), "dict"),
    "missing key": (_step(out=lambda loss, r, k: {"loss": loss.item(), "kl": k.item()}), "recon"),
}


@pytest.mark.parametrize("name", EX1_WRONG)
def test_ex1_wrong_answers_are_named(name):
    fn, words = EX1_WRONG[name]
    outcome = ex1.grade(fn)
    assert outcome.status == INCORRECT, name
    assert words in outcome.en and outcome.hi, (name, outcome.en)


def test_ex1_no_step_and_eval_after_the_step_are_caught():
    def no_step(model, x, opt):
        model.train()
        xb = torch.bernoulli(x)
        logits, mu, logvar = model.forward_logits(xb)
        r = F.binary_cross_entropy_with_logits(logits, xb, reduction="sum") / len(xb)
        k = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()
        return {"loss": (r + k).item(), "recon": r.item(), "kl": k.item()}
    assert "did not change" in ex1.grade(no_step).en

    def loss_times_two(model, x, opt):
        model.train()
        xb = torch.bernoulli(x)
        logits, mu, logvar = model.forward_logits(xb)
        r = F.binary_cross_entropy_with_logits(logits, xb, reduction="sum") / len(xb)
        k = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()
        opt.zero_grad()
        (2 * (r + k)).backward()
        opt.step()
        return {"loss": (r + k).item(), "recon": r.item(), "kl": k.item()}
    assert "one optimiser step" in ex1.grade(loss_times_two).en


# ---------------------------------------------------------------- exercise 2: interpolate

@pytest.mark.parametrize("right", [
    lambda z0, z1, n: torch.stack([torch.lerp(z0, z1, float(t)) for t in torch.linspace(0, 1, n)]),
    lambda z0, z1, n: np.linspace(z0.numpy(), z1.numpy(), n),
    lambda z0, z1, n: torch.stack([(1 - k / (n - 1)) * z0 + (k / (n - 1)) * z1 for k in range(n)]),
], ids=["lerp", "numpy", "weights"])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


EX2_WRONG = {
    "transposed": (lambda z0, z1, n: (z0 + torch.linspace(0, 1, n)[:, None] * (z1 - z0)).T, "(D, n)"),
    "backwards": (lambda z0, z1, n: z1 + torch.linspace(0, 1, n)[:, None] * (z0 - z1), "backwards"),
    "no last point": (lambda z0, z1, n: z0 + torch.linspace(0, 1, n + 1)[:-1, None] * (z1 - z0), "t = 1"),
    "one point short": (lambda z0, z1, n: z0 + torch.linspace(0, 1, n - 1)[:, None] * (z1 - z0), "shape"),
    "uneven": (lambda z0, z1, n: z0 + torch.linspace(0, 1, n)[:, None] ** 2 * (z1 - z0), "equally spaced"),
    "hard-coded n": (lambda z0, z1, n: z0 + torch.linspace(0, 1, 7)[:, None] * (z1 - z0), "hard-code"),
}


@pytest.mark.parametrize("name", EX2_WRONG)
def test_ex2_wrong_answers_are_named(name):
    fn, words = EX2_WRONG[name]
    outcome = ex2.grade(fn)
    assert outcome.status == INCORRECT and words in outcome.en, (name, outcome.en)


def test_ex2_in_place_change_is_named():
    def in_place(z0, z1, n):
        out = torch.stack([z0 + t * (z1 - z0) for t in torch.linspace(0, 1, n)])
        z0.zero_()
        return out
    assert "in place" in ex2.grade(in_place).en


# ---------------------------------------------------------------- exercise 3: decode_grid

def _grid(p_fn, order="ij", swap=False, ret="decode"):
    def decode_grid(decode, n):
        q = torch.distributions.Normal(0.0, 1.0).icdf(p_fn(n))
        rows, cols = torch.meshgrid(q, q, indexing=order)
        z = torch.stack([rows.flatten(), cols.flatten()] if swap else [cols.flatten(), rows.flatten()], dim=1)
        return decode(z) if ret == "decode" else z
    return decode_grid


def _grid_scipy(decode, n):
    from scipy.stats import norm
    q = norm.ppf((np.arange(n) + 0.5) / n)
    z = np.array([[q[c], q[r]] for r in range(n) for c in range(n)], dtype=np.float32)
    return decode(torch.from_numpy(z)).numpy()


def _grid_rows(decode, n):
    """Decode one row of the grid at a time, with erfinv."""
    q = [2 ** 0.5 * torch.erfinv(torch.tensor(2 * (k + 0.5) / n - 1)).item() for k in range(n)]
    return torch.cat([decode(torch.tensor([[qc, qr] for qc in q])) for qr in q])


@pytest.mark.parametrize("right", [_grid(lambda n: (torch.arange(n) + 0.5) / n), _grid_scipy, _grid_rows,
                                   _grid(lambda n: (torch.arange(n) + 0.5) / n, order="xy", swap=True)],
                         ids=["reference", "scipy", "rows-erfinv", "xy-indexing"])
def test_ex3_correct_answers_written_differently_pass(right):
    outcome = ex3.grade(right)
    assert outcome.status == CORRECT, outcome.en


def _uniform(decode, n):
    v = torch.linspace(-2, 2, n)
    rows, cols = torch.meshgrid(v, v, indexing="ij")
    return decode(torch.stack([cols.flatten(), rows.flatten()], 1))


EX3_WRONG = {
    "evenly spaced z": (_uniform, "evenly spaced in z"),
    "p = 0 and 1": (_grid(lambda n: torch.linspace(0, 1, n)), "infinite"),
    "k / (n + 1)": (_grid(lambda n: torch.arange(1, n + 1) / (n + 1.0)), "k / (n + 1)"),
    "swapped": (_grid(lambda n: (torch.arange(n) + 0.5) / n, swap=True), "swapped"),
    "returns z": (_grid(lambda n: (torch.arange(n) + 0.5) / n, ret="z"), "latent points"),
    "one axis": (lambda decode, n: decode(torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(n) + 0.5) / n)
                                          .repeat(2, 1).T), "n x n grid"),
    "never decodes": (lambda decode, n: torch.zeros(n * n, 784), "never called"),
}


@pytest.mark.parametrize("name", EX3_WRONG)
def test_ex3_wrong_answers_are_named(name):
    fn, words = EX3_WRONG[name]
    outcome = ex3.grade(fn)
    assert outcome.status == INCORRECT and words in outcome.en, (name, outcome.en)


def test_ex3_wrong_order_is_named():
    def shuffled(decode, n):
        q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(n) + 0.5) / n)
        z = torch.tensor([[q[c].item(), q[r].item()] for r in range(n) for c in range(n)])
        return decode(z[torch.randperm(n * n, generator=torch.Generator().manual_seed(0))])
    assert "wrong order" in ex3.grade(shuffled).en


def test_checkers_are_fast():
    import time
    for ex in EXERCISES.values():
        start = time.perf_counter()
        ex.grade(_solution(ex))
        assert time.perf_counter() - start < 2.0
