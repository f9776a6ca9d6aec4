"""The checkers of chapter 14, graded on their solution, an untouched stub, right answers written differently
and planted wrong answers (each wrong answer's reason must name its mistake)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_kit import solution as _solution, stub as _stub, forgot_return as _forgot_return
from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch14 import ex1, ex2, ex3

NAMES = [(ex1, "q_sample"), (ex2, "gumbel_softmax"), (ex3, "near_copy_share")]


@pytest.mark.parametrize("ex,name", NAMES, ids=["ex1", "ex2", "ex3"])
def test_solution_is_correct_and_stub_is_not_attempted(ex, name):
    assert ex.grade(_solution(ex, name)).status == CORRECT
    assert ex.grade(_stub).status == NOT_ATTEMPTED
    assert ex.grade(None).status == NOT_ATTEMPTED
    out = ex.grade(_forgot_return)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _grade(ex, fn, phrase):
    out = ex.grade(fn)
    assert out.status == INCORRECT, f"passed: {fn}"
    assert phrase in out.en, out.en
    assert out.hi and out.hi != out.en


# ---------------------------------------------------------------- exercise 1 (q(x_t | x_0))

def _q_loop(x0, t, alpha_bar, noise):                  # one image at a time
    return torch.stack([alpha_bar[s - 1].sqrt() * x + (1 - alpha_bar[s - 1]).sqrt() * e
                        for x, s, e in zip(x0, t, noise)])


def _q_numpy(x0, t, alpha_bar, noise):
    a = alpha_bar.numpy()[t.numpy() - 1][:, None]
    return torch.from_numpy(np.sqrt(a) * x0.numpy() + np.sqrt(1 - a) * noise.numpy())


def _q_padded(x0, t, alpha_bar, noise):                # the library's way: a leading 1 for t = 0, then index by t
    a = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])[t].unsqueeze(1)
    return torch.addcmul(a.sqrt() * x0, (1 - a).sqrt(), noise)


@pytest.mark.parametrize("right", [_q_loop, _q_numpy, _q_padded], ids=["loop", "numpy", "padded"])
def test_ex1_right_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


def _c(ab, t):
    return ab[t - 1][:, None]


EX1_WRONG = {
    "variance": (lambda x0, t, ab, e: _c(ab, t).sqrt() * x0 + _c(1 - ab, t) * e, "standard deviation"),
    "no sqrt on mean": (lambda x0, t, ab, e: _c(ab, t) * x0 + _c(1 - ab, t).sqrt() * e, "sqrt(alpha_bar_t) * x0"),
    "swapped": (lambda x0, t, ab, e: _c(1 - ab, t).sqrt() * x0 + _c(ab, t).sqrt() * e, "swapped"),
    "index t": (lambda x0, t, ab, e: ab[t][:, None].sqrt() * x0 + (1 - ab[t][:, None]).sqrt() * e, "t - 1"),
    "index t, clamped": (lambda x0, t, ab, e: ab[t.clamp(max=len(ab) - 1)][:, None].sqrt() * x0
                         + (1 - ab[t.clamp(max=len(ab) - 1)][:, None]).sqrt() * e, "off by one"),
    "cumprod again": (lambda x0, t, ab, e: _c(ab.cumprod(0), t).sqrt() * x0 + _c(1 - ab.cumprod(0), t).sqrt() * e,
                      "cumulative product"),
    "one t": (lambda x0, t, ab, e: ab[t[0] - 1].sqrt() * x0 + (1 - ab[t[0] - 1]).sqrt() * e, "its own t"),
    "no broadcast": (lambda x0, t, ab, e: ab[t - 1].sqrt() * x0 + (1 - ab[t - 1]).sqrt() * e, "[:, None]"),
    "no noise": (lambda x0, t, ab, e: _c(ab, t).sqrt() * x0, "differs"),
    "as images": (lambda x0, t, ab, e: (_c(ab, t).sqrt() * x0 + _c(1 - ab, t).sqrt() * e).view(-1, 1, 28, 28),
                  "shape of x0"),
}


@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex1_wrong_answers_name_the_mistake(name):
    fn, phrase = EX1_WRONG[name]
    _grade(ex1, fn, phrase)


def test_ex1_solution_matches_the_library_ddpm():
    """The reference answer is the forward process `generative.DDPM` trains with: same schedule, same draw."""
    generative = pytest.importorskip("course_utils.generative")
    model = generative.DDPM()
    q_sample = _solution(ex1, "q_sample")
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand(4, 784, generator=g) * 2 - 1
    noise = torch.randn(4, 784, generator=g)
    t = torch.tensor([1, 10, 500, model.T])
    want = model.q_sample(x0, t, noise)
    assert torch.allclose(q_sample(x0, t, model.alpha_bar.float(), noise), want, atol=1e-5)


def test_ex1_solution_has_the_right_moments():
    """The mechanism: over many noise draws x_t has mean sqrt(alpha_bar_t) x0 and variance 1 - alpha_bar_t."""
    q_sample = _solution(ex1, "q_sample")
    g = torch.Generator().manual_seed(2)
    ab = torch.cumprod(1 - torch.linspace(1e-4, 0.2, 50, dtype=torch.float64), 0)
    x0 = torch.full((20_000, 1), 0.7, dtype=torch.float64)
    t = torch.full((20_000,), 10)
    x_t = q_sample(x0, t, ab, torch.randn(20_000, 1, generator=g, dtype=torch.float64))
    assert abs(float(x_t.mean()) - 0.7 * float(ab[9].sqrt())) < 0.02
    assert abs(float(x_t.var()) - float(1 - ab[9])) < 0.02


# ---------------------------------------------------------------- exercise 2 (Gumbel-softmax)

def _gs_stable(logits, gumbel, tau, hard=False):           # log-softmax then exp, index_fill for the one-hot
    y = torch.log_softmax((logits + gumbel) / tau, -1).exp()
    if not hard:
        return y
    y_hard = torch.zeros_like(y).scatter_(-1, y.argmax(-1, keepdim=True), 1.0)
    return (y_hard - y).detach() + y


def _gs_library(logits, gumbel, tau, hard=False):          # torch's own, fed with the same noise
    y = F.softmax((logits + gumbel) / tau, dim=-1)
    return (F.one_hot(y.argmax(-1), y.shape[-1]).to(y) - y).detach() + y if hard else y


@pytest.mark.parametrize("right", [_gs_stable, _gs_library], ids=["log-softmax", "grouped-detach"])
def test_ex2_right_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


def _soft(logits, g, tau):
    return F.softmax((logits + g) / tau, dim=-1)


EX2_WRONG = {
    "tau on logits only": (lambda l, g, tau, hard=False: F.softmax(l / tau + g, -1), "noise by the temperature"),
    "no tau": (lambda l, g, tau, hard=False: F.softmax(l + g, -1), "temperature is missing"),
    "minus g": (lambda l, g, tau, hard=False: F.softmax((l - g) / tau, -1), "do not subtract"),
    "no noise": (lambda l, g, tau, hard=False: F.softmax(l / tau, -1), "Gumbel noise is missing"),
    "wrong dim": (lambda l, g, tau, hard=False: F.softmax((l + g) / tau, 0), "probability vector"),
    "log-softmax": (lambda l, g, tau, hard=False: F.log_softmax((l + g) / tau, -1), "probability vector"),
    "hard without straight-through": (
        lambda l, g, tau, hard=False: F.one_hot((l + g).argmax(-1), l.shape[-1]).to(l) if hard else _soft(l, g, tau),
        "no gradient"),
    "hard returns soft": (lambda l, g, tau, hard=False: _soft(l, g, tau), "exactly one-hot"),
    "hard ignores noise": (
        lambda l, g, tau, hard=False: ((F.one_hot(l.argmax(-1), l.shape[-1]).to(l) - _soft(l, g, tau)).detach()
                                       + _soft(l, g, tau)) if hard else _soft(l, g, tau), "without the noise"),
    "straight-through at tau = 1": (
        lambda l, g, tau, hard=False: ((F.one_hot((l + g).argmax(-1), l.shape[-1]).to(l) - _soft(l, g, 1.0)).detach()
                                       + _soft(l, g, 1.0)) if hard else _soft(l, g, tau), "same tau"),
    "a list": (lambda l, g, tau, hard=False: _soft(l, g, tau).tolist(), "torch tensor"),
    "no detach": (
        lambda l, g, tau, hard=False: (F.one_hot((l + g).argmax(-1), l.shape[-1]).to(l) - _soft(l, g, tau)
                                       + _soft(l, g, tau)) if hard else _soft(l, g, tau), "cancel"),
    "torch's own noise": (lambda l, g, tau, hard=False: F.gumbel_softmax(l, tau=tau, hard=hard), "given `gumbel`"),
}


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex2_wrong_answers_name_the_mistake(name):
    fn, phrase = EX2_WRONG[name]
    _grade(ex2, fn, phrase)


def test_ex2_solution_is_unbiased_in_its_forward_value():
    """The mechanism behind the exercise: argmax(log pi + g) with Gumbel g is a draw from pi (the Gumbel-max
    trick), so the hard sample's mean over many draws is pi."""
    gs = _solution(ex2, "gumbel_softmax")
    g = torch.Generator().manual_seed(0)
    pi = torch.tensor([0.5, 0.3, 0.15, 0.05])
    u = torch.rand(40_000, 4, generator=g).clamp(1e-9, 1 - 1e-9)
    y = gs(pi.log().expand(40_000, 4), -torch.log(-torch.log(u)), 0.3, hard=True)
    assert torch.allclose(y.mean(0), pi, atol=0.01)


# ---------------------------------------------------------------- exercise 3 (near-copies)

def _share_sorted(sample, heldout, q=0.01):                   # an order statistic instead of interpolation
    threshold = heldout.sort().values[int(q * len(heldout))]
    return float((sample < threshold).sum()) / len(sample)


@pytest.mark.parametrize("right", [
    _share_sorted,
    lambda s, h, q=0.01: np.mean(s.numpy() < np.percentile(h.numpy(), 100 * q)),
    lambda s, h, q=0.01: (s < h.quantile(q)).double().mean(),
], ids=["order-statistic", "numpy-percentile", "method"])
def test_ex3_right_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


EX3_WRONG = {
    "self-calibrated": (lambda s, h, q=0.01: (s < torch.quantile(s, q)).float().mean(), "samples' own distances"),
    "1 - q": (lambda s, h, q=0.01: (s < torch.quantile(h, 1 - q)).float().mean(), "(1 - q)-quantile"),
    "percent q": (lambda s, h, q=0.01: (s < torch.quantile(h, min(1.0, 100 * q))).float().mean(), "q is a fraction"),
    "count": (lambda s, h, q=0.01: (s < torch.quantile(h, q)).sum(), "not the count"),
    "percentage": (lambda s, h, q=0.01: 100 * (s < torch.quantile(h, q)).float().mean(), "not a percentage"),
    "reversed": (lambda s, h, q=0.01: (s > torch.quantile(h, q)).float().mean(), "wrong way round"),
    "mean as threshold": (lambda s, h, q=0.01: (s < h.mean()).float().mean(), "differs"),
    "per-sample": (lambda s, h, q=0.01: (s < torch.quantile(h, q)).float(), "one number"),
    "np.percentile(h, q)": (lambda s, h, q=0.01: float(np.mean(s.numpy() < np.percentile(h.numpy(), q))),
                            "np.percentile takes percents"),
    "the minimum": (lambda s, h, q=0.01: (s < h.min()).double().mean(), "minimum"),
    "q ignored": (lambda s, h, q=0.01: (s < torch.quantile(h, 0.01)).double().mean(), "the q you are given"),
    "mean - 2 sd": (lambda s, h, q=0.01: (s < h.mean() - 2 * h.std()).double().mean(), "differs"),
    "fixed distance": (lambda s, h, q=0.01: (s < 3.0).double().mean(), "distances x 10"),
}


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex3_wrong_answers_name_the_mistake(name):
    fn, phrase = EX3_WRONG[name]
    _grade(ex3, fn, phrase)


def test_checkers_are_fast():
    import time
    for ex, name in NAMES:
        start = time.perf_counter()
        ex.grade(_solution(ex, name))
        assert time.perf_counter() - start < 2


# ---------------------------------------------------------------- the capstone's required outputs

from course_utils.capstone import CAPSTONE_KEYS, capstone_check  # noqa: E402

GOOD = dict(elbo_nats=-95.1, elbo_se=0.8, iwae_nats=-90.2, iwae_se=0.8, iwae_k=1000, baseline_score=0.85, fd=3.1, fd_floor=0.4, precision=0.7, recall=0.5,
            class_shares=[0.1] * 10, latent_dim=16, active_units=12, seed_scores=[0.90, 0.91, 0.89],
            near_copy_share=0.0, export_max_abs_diff=1e-6, export_tolerance=1e-5)


def test_capstone_check_passes_complete_consistent_results(capsys):
    assert set(GOOD) == set(CAPSTONE_KEYS)
    assert capstone_check(GOOD)
    out = capsys.readouterr().out
    assert "✗" not in out and "all required outputs present" in out


@pytest.mark.parametrize("change,phrase", [
    ({"iwae_nats": -99.0}, "below the ELBO"),
    ({"iwae_k": 10}, "k ≥ 100"),
    ({"fd": 0.1}, "floor"),
    ({"precision": 1.3}, "[0, 1]"),
    ({"class_shares": [0.2] * 10}, "summing to 1"),
    ({"active_units": 20}, "between 0 and latent_dim"),
    ({"seed_scores": [0.9, 0.91]}, "at least 3"),
    ({"export_max_abs_diff": 1e-3}, "within the stated tolerance"),
    ({"near_copy_share": float("nan")}, "nan"),
    ({"fd": "small"}, "must be a number"),
    ({"elbo_se": 0.0}, "must be positive"),
], ids=["iwae<elbo", "small k", "fd<floor", "precision>1", "shares", "active>latent", "2 seeds", "export", "nan",
        "text", "se=0"])
def test_capstone_check_names_each_inconsistency(change, phrase, capsys):
    assert not capstone_check({**GOOD, **change})
    out = capsys.readouterr().out
    assert phrase in out, out


def test_capstone_check_lists_missing_outputs_and_rejects_bad_input(capsys):
    results = dict(GOOD)
    del results["recall"], results["baseline_score"]
    assert not capstone_check(results)
    out = capsys.readouterr().out
    assert "recall is missing" in out and "baseline_score is missing" in out
    with pytest.raises(TypeError, match="must be a dict"):
        capstone_check([1, 2, 3])


def test_ex3_solution_matches_the_library_near_copies():
    """The reference answer is the rule section 3's `production.near_copies` uses: same limit, same strict `<`."""
    production = pytest.importorskip("course_utils.production")
    g = torch.Generator().manual_seed(0)
    train, held = torch.rand(300, 1, 28, 28, generator=g), torch.rand(1000, 1, 28, 28, generator=g)
    samples = torch.cat([(train[:10] + 0.001).clamp(0, 1), torch.rand(90, 1, 28, 28, generator=g)])
    copies = production.near_copies(samples, train, held, quantile=0.01)
    d_held, _ = production.nearest_training_distance(held, train)
    share = _solution(ex3, "near_copy_share")(copies.distance, d_held, 0.01)
    assert abs(float(share) - float(copies.share)) < 1e-6 and float(copies.share) >= 0.1


def test_capstone_check_reads_the_baseline_against_the_seed_spread(capsys):
    assert capstone_check({**GOOD, "baseline_score": 0.905})
    assert "inside the spread, so claim no winner" in capsys.readouterr().out
    assert capstone_check(GOOD)
    assert "outside the spread" in capsys.readouterr().out
