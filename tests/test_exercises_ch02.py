"""The checkers of chapter 02, tested with the solution, untouched stubs and planted wrong answers."""
import math

import pytest
import torch

from course_utils.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_utils.exercises.ch02 import ex1, ex2, ex3


def solution_of(ex, name):
    scope = {"torch": torch, "math": math}
    exec(ex.solution_code, scope)
    return scope[name]


# ---- exercise 1: PCA by SVD
def test_ex1_solution_is_correct():
    assert ex1.grade(solution_of(ex1, "pca_svd")).status == CORRECT


def test_ex1_stub_is_not_attempted():
    def pca_svd(x, k):
        ...
    assert ex1.grade(pca_svd).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


def _svd(x):
    mean = x.mean(0)
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
    return mean, s, vh


@pytest.mark.parametrize("wrong", [
    # forgot to centre
    lambda x, k: (x.mean(0), torch.linalg.svd(x, full_matrices=False)[2][:k],
                  torch.linalg.svd(x, full_matrices=False)[1][:k] ** 2 / (len(x) - 1)),
    # singular values instead of variances
    lambda x, k: (lambda m, s, vh: (m, vh[:k], s[:k]))(*_svd(x)),
    # divided by N instead of N - 1
    lambda x, k: (lambda m, s, vh: (m, vh[:k], s[:k] ** 2 / len(x)))(*_svd(x)),
    # components as columns
    lambda x, k: (lambda m, s, vh: (m, vh[:k].T, s[:k] ** 2 / (len(x) - 1)))(*_svd(x)),
    # scaled components S * Vh
    lambda x, k: (lambda m, s, vh: (m, s[:k, None] * vh[:k], s[:k] ** 2 / (len(x) - 1)))(*_svd(x)),
    # ignores k
    lambda x, k: (lambda m, s, vh: (m, vh[:10], s[:10] ** 2 / (len(x) - 1)))(*_svd(x)),
    # the last k components instead of the first
    lambda x, k: (lambda m, s, vh: (m, vh[-k:], s[-k:] ** 2 / (len(x) - 1)))(*_svd(x)),
])
def test_ex1_planted_wrong_answers_are_incorrect(wrong):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT, out
    assert out.en and out.hi


def test_ex1_crash_is_incorrect_with_reason():
    def pca_svd(x, k):
        return torch.linalg.svd(x - x.mean(0), full_matrices=False)[5]
    out = ex1.grade(pca_svd)
    assert out.status == INCORRECT and "IndexError" in out.en


def test_ex1_signs_do_not_matter():
    sol = solution_of(ex1, "pca_svd")

    def flipped(x, k):
        m, c, v = sol(x, k)
        return m, -c, v
    assert ex1.grade(flipped).status == CORRECT


# ---- exercise 2: principal angles
def test_ex2_solution_is_correct():
    assert ex2.grade(solution_of(ex2, "angles_between")).status == CORRECT


def test_ex2_library_version_is_correct():
    from course_utils.linear import principal_angles
    assert ex2.grade(principal_angles).status == CORRECT


def test_ex2_stub_is_not_attempted():
    def angles_between(a, b):
        ...
    assert ex2.grade(angles_between).status == NOT_ATTEMPTED


def _ortho(a):
    return torch.linalg.qr(a).Q


@pytest.mark.parametrize("wrong,reason", [
    (lambda a, b: torch.arccos(torch.linalg.svdvals(a.T @ b).clamp(0, 1)), "QR"),          # no QR
    (lambda a, b: torch.linalg.svdvals(_ortho(a).T @ _ortho(b)), "cosines"),              # cosines
    (lambda a, b: torch.rad2deg(torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)).clamp(0, 1))),
     "degrees"),
    (lambda a, b: torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)).clamp(0, 1)).flip(0), "ascending"),
    (lambda a, b: torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)) + 1e-6), "clamp"),  # NaN
])
def test_ex2_planted_wrong_answers_are_incorrect(wrong, reason):
    out = ex2.grade(wrong)
    assert out.status == INCORRECT, out
    assert reason in out.en, out.en


# ---- exercise 3: PCA error on held-out digits
def test_ex3_solution_is_correct():
    assert ex3.grade(solution_of(ex3, "pca_test_error")).status == CORRECT


def test_ex3_stub_is_not_attempted():
    def pca_test_error(x_train, x_test, k):
        ...
    assert ex3.grade(pca_test_error).status == NOT_ATTEMPTED


def _recon_error(fit_on, centre_with, x_test, k, per_pixel=False, add_mean=True):
    mean = fit_on.mean(0)
    vh = torch.linalg.svd(fit_on - mean, full_matrices=False)[2][:k]
    mu = centre_with.mean(0)
    x_hat = (x_test - mu) @ vh.T @ vh + (mu if add_mean else 0)
    err = ((x_hat - x_test) ** 2).sum(1).mean()
    return err / 784 if per_pixel else err


@pytest.mark.parametrize("wrong,reason", [
    (lambda tr, te, k: _recon_error(te, te, te, k), "fitted on the test"),                   # PCA on test data
    (lambda tr, te, k: _recon_error(tr, tr, te, k, per_pixel=True), "mean over pixels"),      # other reduction
    (lambda tr, te, k: _recon_error(tr, te, te, k), "own mean"),                              # test mean
    (lambda tr, te, k: _recon_error(tr, tr, te, k, add_mean=False), "should be"),             # mean not added back
    (lambda tr, te, k: _recon_error(tr, tr, te, 10), "should be"),                            # ignores k
])
def test_ex3_planted_wrong_answers_are_incorrect(wrong, reason):
    out = ex3.grade(wrong)
    assert out.status == INCORRECT, out
    assert reason in out.en, out.en


def test_hints_and_solutions_exist():
    for ex in (ex1, ex2, ex3):
        assert 2 <= len(ex.hints) <= 3
        assert ex.solution_link("hi").endswith(f"02_autoencoder_vs_pca.ipynb#ex-{ex.number}")
