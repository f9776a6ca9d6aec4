"""course_utils.ppca against brute force: the dense Gaussian, Bayes' rule and the identity log p(x) = ELBO + KL."""
from __future__ import annotations

import pytest
import torch

from course_utils.ppca import PPCA, fit_ppca, gaussian_kl_full


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    basis = torch.randn(3, 12, generator=g, dtype=torch.float64)
    x = torch.randn(200, 3, generator=g, dtype=torch.float64) @ basis + 0.1 * torch.randn(200, 12, generator=g,
                                                                                            dtype=torch.float64)
    x[:, 0] = 0.5                                      # a pixel with zero variance, as MNIST's corners
    return x


def test_log_marginal_matches_the_dense_gaussian(data):
    p = fit_ppca(data, 3)
    C = p.W @ p.W.T + p.sigma2 * torch.eye(12, dtype=torch.float64)
    dense = torch.distributions.MultivariateNormal(p.mean, C).log_prob(data)
    assert torch.allclose(p.log_marginal(data), dense, atol=1e-10)


def test_sigma2_is_the_mean_of_the_discarded_eigenvalues(data):
    p = fit_ppca(data, 3)
    lam = torch.linalg.eigvalsh(torch.cov(data.T)).flip(0)
    assert abs(p.sigma2 - float(lam[3:].mean())) < 1e-10
    assert torch.allclose((p.W.T @ p.W).diagonal(), lam[:3] - p.sigma2, atol=1e-10)


def test_posterior_is_bayes_rule(data):
    p = fit_ppca(data, 2)
    m, S = p.posterior(data[:5])
    # joint Gaussian of (z, x): conditioning by the textbook formula with the dense covariance
    C = p.W @ p.W.T + p.sigma2 * torch.eye(12, dtype=torch.float64)
    gain = p.W.T @ torch.linalg.inv(C)
    assert torch.allclose(m, (data[:5] - p.mean) @ gain.T, atol=1e-10)
    assert torch.allclose(S, torch.eye(2, dtype=torch.float64) - gain @ p.W, atol=1e-10)


def test_identity_holds_for_any_gaussian_q_and_the_gap_is_the_kl(data):
    p = fit_ppca(data, 3)
    x = data[:7]
    m_post, S_post = p.posterior(x)
    lp = p.log_marginal(x)
    g = torch.Generator().manual_seed(1)
    A = torch.randn(3, 3, generator=g, dtype=torch.float64)
    for m, S in [(m_post, S_post), (m_post + 0.3, S_post), (m_post, 3 * S_post), (m_post - 1, A @ A.T + 0.1 * torch.eye(3, dtype=torch.float64))]:
        kl = gaussian_kl_full(m, S, m_post, S_post)
        assert torch.allclose(p.elbo(x, m, S) + kl, lp, atol=1e-9)
        assert bool((kl >= -1e-12).all())
    assert float(gaussian_kl_full(m_post, S_post, m_post, S_post).abs().max()) < 1e-12


def test_expected_log_likelihood_against_monte_carlo(data):
    p = fit_ppca(data, 3)
    x = data[:1]
    m, S = p.posterior(x)
    S = 4 * S
    g = torch.Generator().manual_seed(2)
    z = m + torch.randn(20000, 3, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(S).T
    logs = torch.distributions.Normal(z @ p.W.T + p.mean, p.sigma2 ** 0.5).log_prob(x).sum(1)
    se = float(logs.std() / len(logs) ** 0.5)
    assert abs(float(logs.mean()) - float(p.expected_log_likelihood(x, m, S))) < 4 * se


def test_bad_input_is_named(data):
    with pytest.raises(ValueError, match="k must be"):
        fit_ppca(data, 12)
    p = fit_ppca(data, 2)
    with pytest.raises(ValueError, match="fitted on 12 pixels"):
        p.log_marginal(torch.zeros(2, 5))
    assert isinstance(p, PPCA) and p.k == 2


def test_fixed_noise_collapses_the_weak_directions_to_the_prior(data):
    lam = torch.linalg.eigvalsh(torch.cov(data.T)).flip(0)
    sigma2 = float(lam[1] + lam[2]) / 2                 # between eigenvalues 2 and 3: direction 3 is too weak
    p = fit_ppca(data, 3, sigma2=sigma2)
    norms = p.W.norm(dim=0)
    assert bool((norms[:2] > 0.1).all()) and float(norms[2]) == 0.0
    assert p.sigma2 == sigma2
    m, S = p.posterior(data[:5])
    # the collapsed dimension: posterior = prior N(0, 1) for every x, so its KL to the prior is 0
    assert torch.allclose(m[:, 2], torch.zeros(5, dtype=torch.float64), atol=1e-12)
    assert abs(float(S[2, 2]) - 1) < 1e-12 and float(S[2, :2].abs().max()) < 1e-12
    # the used dimensions do carry information: their posterior variance is below the prior's
    assert bool((S.diagonal()[:2] < 0.9).all())
    # W with the collapsed column is the maximum-likelihood W at this sigma2: any small column there lowers log p(x)
    u = torch.linalg.eigh(torch.cov(data.T)).eigenvectors[:, -3]
    for eps in (0.05, 0.2):
        W = p.W.clone()
        W[:, 2] = eps * u
        other = PPCA(p.mean, W, sigma2)
        assert float(other.log_marginal(data).sum()) < float(p.log_marginal(data).sum())


def test_fixed_noise_equal_to_the_fitted_one_changes_nothing(data):
    p = fit_ppca(data, 3)
    q = fit_ppca(data, 3, sigma2=p.sigma2)
    assert torch.allclose(p.W, q.W, atol=1e-12)


def test_bad_noise_is_named(data):
    for bad in (0.0, -1.0, float("nan"), float("inf"), "0.1"):
        with pytest.raises(ValueError, match="sigma2 must be a positive finite number"):
            fit_ppca(data, 2, sigma2=bad)
