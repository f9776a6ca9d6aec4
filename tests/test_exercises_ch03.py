"""The checkers of chapter 03, graded on their solution, an untouched stub and planted wrong answers."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch03 import ex1, ex2, ex3


def _solution(ex, name):
    scope = {"torch": torch}
    exec(ex.solution_code, scope)
    return scope[name]


def _stub(*args):
    ...


# ---------------------------------------------------------------- exercise 1: KL sparsity

def test_ex1_solution_is_correct():
    assert ex1.grade(_solution(ex1, "kl_sparsity")).status == CORRECT


def test_ex1_stub_is_not_attempted():
    assert ex1.grade(_stub).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


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


# ---------------------------------------------------------------- exercise 2: masking noise

def test_ex2_solution_is_correct():
    assert ex2.grade(_solution(ex2, "masking_noise")).status == CORRECT


def test_ex2_course_utils_version_is_correct():
    from course_utils.noise import masking_noise
    assert ex2.grade(masking_noise).status == CORRECT


def test_ex2_stub_is_not_attempted():
    assert ex2.grade(_stub).status == NOT_ATTEMPTED


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
    }
    for name, fn in wrong.items():
        assert ex3.grade(fn).status == INCORRECT, name
    assert "flipped" in ex3.grade(wrong["flipped sign"]).en
    assert "1/2" in ex3.grade(wrong["ties count 0"]).en


def test_hints_and_solutions_are_bilingual():
    for ex in (ex1, ex2, ex3):
        assert 2 <= len(ex.hints) <= 3
        for hi, en in ex.hints:
            assert hi and en and hi != en
        assert ex.solution_link("hi").endswith(f"03_autoencoder_family.ipynb#ex-{ex.number}")
