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
        """Return mean, components, explained_variance."""
        # ✍️ your code here / अपना code यहाँ लिखें
        ...
    assert ex1.grade(pca_svd).status == NOT_ATTEMPTED
    assert ex1.grade(None).status == NOT_ATTEMPTED


def test_ex1_missing_return_is_named():
    def pca_svd(x, k):
        mean = x.mean(0)
        _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)  # noqa: F841  (never returned)
    out = ex1.grade(pca_svd)
    assert out.status == INCORRECT and "return" in out.en and "return" in out.hi


def _svd(x):
    mean = x.mean(0)
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
    return mean, s, vh


# -- right answers written differently
def _eigh_of_covariance(x, k):  # eigh sorts ascending: take the last k, largest first
    evals, evecs = torch.linalg.eigh(torch.cov(x.T))
    return x.mean(0), evecs[:, -k:].flip(1).T, evals[-k:].flip(0)


def _scikit_learn_tensors(x, k):
    from sklearn.decomposition import PCA
    # an exact solver: svd_solver="auto" picks the randomized one here, whose random start makes the test flaky
    pca = PCA(n_components=k, svd_solver="covariance_eigh").fit(x.numpy())
    return torch.tensor(pca.mean_), torch.tensor(pca.components_), torch.tensor(pca.explained_variance_)


def _scikit_learn_numpy(x, k):  # NumPy arrays straight from scikit-learn
    from sklearn.decomposition import PCA
    pca = PCA(n_components=k, svd_solver="full").fit(x.numpy())
    return pca.mean_, pca.components_, pca.explained_variance_


def _old_torch_svd(x, k):  # torch.svd returns V, not V^T
    mean = x.mean(0)
    _, s, v = torch.svd(x - mean)
    return mean, v[:, :k].T, s[:k] ** 2 / (len(x) - 1)


def _float64_full_matrices(x, k):
    x = x.double()
    mean = x.mean(0)
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=True)
    return mean, vh[:k], (s**2 / (len(x) - 1))[:k]


@pytest.mark.parametrize("right", [_eigh_of_covariance, _scikit_learn_tensors, _scikit_learn_numpy, _old_torch_svd,
                                   _float64_full_matrices])
def test_ex1_correct_answers_written_differently_pass(right):
    assert ex1.grade(right).status == CORRECT


def _eigh_ascending(x, k):  # forgot that eigh sorts ascending: the top k, smallest first
    evals, evecs = torch.linalg.eigh(torch.cov(x.T))
    return x.mean(0), evecs[:, -k:].T, evals[-k:]


def _eigh_smallest(x, k):  # took the first k columns of eigh: the k smallest directions
    evals, evecs = torch.linalg.eigh(torch.cov(x.T))
    return x.mean(0), evecs[:, :k].T, evals[:k]


@pytest.mark.parametrize("wrong, reason", [
    # forgot to centre
    (lambda x, k: (x.mean(0), torch.linalg.svd(x, full_matrices=False)[2][:k],
                   torch.linalg.svd(x, full_matrices=False)[1][:k] ** 2 / (len(x) - 1)), "centre"),
    (lambda x, k: (lambda m, s, vh: (m, vh[:k], s[:k]))(*_svd(x)), "singular values"),
    (lambda x, k: (lambda m, s, vh: (m, vh[:k], s[:k] ** 2 / len(x)))(*_svd(x)), "N - 1"),
    (lambda x, k: (lambda m, s, vh: (m, vh[:k].T, s[:k] ** 2 / (len(x) - 1)))(*_svd(x)), "as rows"),
    (lambda x, k: (lambda m, s, vh: (m, s[:k, None] * vh[:k], s[:k] ** 2 / (len(x) - 1)))(*_svd(x)), "unit vector"),
    (lambda x, k: (lambda m, s, vh: (m, vh[:10], s[:10] ** 2 / (len(x) - 1)))(*_svd(x)), "argument k"),
    (lambda x, k: (lambda m, s, vh: (m, vh[-k:], s[-k:] ** 2 / (len(x) - 1)))(*_svd(x)), "LARGEST"),
    (_eigh_smallest, "LARGEST"),
    (_eigh_ascending, "ascending"),
    (lambda x, k: (lambda m, s, vh: (x.mean(1), vh[:k], s[:k] ** 2 / (len(x) - 1)))(*_svd(x)), "dim 0"),
    (lambda x, k: (lambda u: (x.mean(0), u[:, :k].T, torch.ones(k)))(
        torch.linalg.svd(x - x.mean(0), full_matrices=False)[0]), "U"),
])
def test_ex1_planted_wrong_answers_are_incorrect(wrong, reason):
    out = ex1.grade(wrong)
    assert out.status == INCORRECT, out
    assert out.en and out.hi
    assert reason in out.en, out.en


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
        """Return the principal angles in radians, ascending."""
        ...
    assert ex2.grade(angles_between).status == NOT_ATTEMPTED


def _ortho(a):
    return torch.linalg.qr(a).Q


# -- right answers written differently
def _scipy(a, b):  # SciPy's subspace_angles: NumPy, largest angle first
    from scipy.linalg import subspace_angles
    return subspace_angles(a.numpy(), b.numpy())[::-1].copy()


def _svd_bases(a, b):  # orthonormal bases from the SVD instead of QR
    qa = torch.linalg.svd(a, full_matrices=False).U
    qb = torch.linalg.svd(b, full_matrices=False).U
    return torch.arccos(torch.linalg.svdvals(qa.T @ qb).clamp(max=1.0))


def _float32(a, b):
    qa, qb = _ortho(a.float()), _ortho(b.float())
    return torch.arccos(torch.linalg.svdvals(qa.T @ qb).clamp(-1, 1))


def _eigenvalues(a, b):  # cos^2 are the eigenvalues of M M^T, M = Qa^T Qb (the smaller side)
    m = _ortho(a).T @ _ortho(b)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    return torch.sort(torch.arccos(torch.linalg.eigvalsh(small).clamp(0, 1).sqrt())).values


def _library_in_degrees(a, b):
    from course_utils.linear import principal_angles
    return torch.deg2rad(principal_angles(a, b, degrees=True))


@pytest.mark.parametrize("right", [_scipy, _svd_bases, _float32, _eigenvalues, _library_in_degrees])
def test_ex2_correct_answers_written_differently_pass(right):
    assert ex2.grade(right).status == CORRECT


@pytest.mark.parametrize("wrong,reason", [
    (lambda a, b: torch.arccos(torch.linalg.svdvals(a.T @ b).clamp(0, 1)), "QR"),          # no QR
    (lambda a, b: torch.linalg.svdvals(_ortho(a).T @ _ortho(b)), "cosines"),              # cosines
    (lambda a, b: torch.rad2deg(torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)).clamp(0, 1))),
     "degrees"),
    (lambda a, b: torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)).clamp(0, 1)).flip(0), "ascending"),
    (lambda a, b: torch.arccos(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)) + 1e-6), "clamp"),  # NaN
    (lambda a, b: torch.arcsin(torch.linalg.svdvals(_ortho(a).T @ _ortho(b)).clamp(0, 1)), "arcsin"),
    (lambda a, b: torch.from_numpy(_scipy(a, b)[::-1].copy()), "ascending"),                # SciPy, not flipped
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
        """Return PCA's per-image squared error on x_test."""
        ...
    assert ex3.grade(pca_test_error).status == NOT_ATTEMPTED


def _recon_error(fit_on, centre_with, x_test, k, per_pixel=False, add_mean=True):
    mean = fit_on.mean(0)
    vh = torch.linalg.svd(fit_on - mean, full_matrices=False)[2][:k]
    mu = centre_with.mean(0)
    x_hat = (x_test - mu) @ vh.T @ vh + (mu if add_mean else 0)
    err = ((x_hat - x_test) ** 2).sum(1).mean()
    return err / 784 if per_pixel else err


# -- right answers written differently
def _scikit_learn(x_train, x_test, k):
    from sklearn.decomposition import PCA
    pca = PCA(n_components=k, svd_solver="covariance_eigh").fit(x_train.numpy())   # exact, not randomized
    x_hat = pca.inverse_transform(pca.transform(x_test.numpy()))
    return float(((x_hat - x_test.numpy()) ** 2).sum(1).mean())


def _course_fit_pca(x_train, x_test, k):
    from course_utils.linear import fit_pca
    pca = fit_pca(x_train, k)
    return (pca.reconstruct(x_test) - x_test).pow(2).sum(1).mean()


def _mse_loss_sum(x_train, x_test, k):
    mean = x_train.mean(0)
    vh = torch.linalg.svd(x_train - mean, full_matrices=False)[2][:k]
    x_hat = (x_test - mean) @ vh.T @ vh + mean
    return torch.nn.functional.mse_loss(x_hat, x_test, reduction="sum") / len(x_test)


def _pythagoras(x_train, x_test, k):  # residual = |x - mean|^2 - |its projection|^2
    mean = x_train.mean(0)
    vh = torch.linalg.svd(x_train - mean, full_matrices=False)[2][:k]
    centred = x_test - mean
    return (centred.pow(2).sum(1) - (centred @ vh.T).pow(2).sum(1)).mean()


def _eigh_item(x_train, x_test, k):
    mean = x_train.mean(0)
    v = torch.linalg.eigh(torch.cov(x_train.T))[1][:, -k:]
    x_hat = (x_test - mean) @ v @ v.T + mean
    return ((x_hat - x_test) ** 2).sum(1).mean().item()


@pytest.mark.parametrize("right", [_scikit_learn, _course_fit_pca, _mse_loss_sum, _pythagoras, _eigh_item])
def test_ex3_correct_answers_written_differently_pass(right):
    assert ex3.grade(right).status == CORRECT


def _uncentred(x_train, x_test, k):
    vh = torch.linalg.svd(x_train, full_matrices=False)[2][:k]
    return ((x_test @ vh.T @ vh - x_test) ** 2).sum(1).mean()


@pytest.mark.parametrize("wrong,reason", [
    (lambda tr, te, k: _recon_error(te, te, te, k), "fitted on the test"),                   # PCA on test data
    (lambda tr, te, k: _recon_error(tr, tr, te, k, per_pixel=True), "mean over pixels"),      # other reduction
    (lambda tr, te, k: _recon_error(tr, te, te, k), "own mean"),                              # test mean
    (lambda tr, te, k: _recon_error(tr, tr, te, k, add_mean=False), "lacks the mean"),        # mean not added back
    (lambda tr, te, k: _recon_error(tr, tr, te, 10), "argument k"),                           # ignores k
    (lambda tr, te, k: _recon_error(tr, tr, te, k) * len(te), "sum over all"),                # no mean over images
    (lambda tr, te, k: _recon_error(tr, tr, te, k).sqrt(), "square root"),                    # a root
    (_uncentred, "without centring"),
    (lambda tr, te, k: _recon_error(tr, tr, te, k) + 1.0, "should be"),                       # just off
])
def test_ex3_planted_wrong_answers_are_incorrect(wrong, reason):
    out = ex3.grade(wrong)
    assert out.status == INCORRECT, out
    assert reason in out.en, out.en


def test_ex3_per_image_vector_is_named():
    def pca_test_error(x_train, x_test, k):
        mean = x_train.mean(0)
        vh = torch.linalg.svd(x_train - mean, full_matrices=False)[2][:k]
        return (((x_test - mean) @ vh.T @ vh + mean - x_test) ** 2).sum(1)
    out = ex3.grade(pca_test_error)
    assert out.status == INCORRECT and "one error per test image" in out.en


def test_hints_and_solutions_exist():
    for ex in (ex1, ex2, ex3):
        assert len(ex.hints) == 3
        assert ex.solution_link("hi").endswith(f"02_autoencoder_vs_pca.ipynb#ex-{ex.number}")
