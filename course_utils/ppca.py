"""Probabilistic PCA (Tipping & Bishop, 1999): a latent-variable model whose log p(x) and p(z|x) are exact.

Chapter 05 uses it to check log p(x) = ELBO(q) + KL(q(z|x) || p(z|x)) to the last digits. The model:

    z ~ N(0, I_k),    x | z ~ N(W z + mean, sigma2 I_D),    so    p(x) = N(x; mean, C),  C = W W^T + sigma2 I_D.

A Gaussian q(z|x) = N(m, S) is given by its means m (N, k) and one covariance S, (k, k) or (N, k, k).
Everything is computed in float64: the terms are thousands of nats, and the identity is checked to 1e-6.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .linear import _as_matrix, fit_pca


@dataclass
class PPCA:
    """A fitted PPCA: mean (D,), W (D, k), noise variance sigma2 > 0."""

    mean: torch.Tensor
    W: torch.Tensor
    sigma2: float

    @property
    def k(self) -> int:
        """Latent dimensions."""
        return self.W.shape[1]

    def _centred(self, x: torch.Tensor) -> torch.Tensor:
        d = _as_matrix(x)
        if d.shape[1] != self.mean.numel():
            raise ValueError(f"this PPCA was fitted on {self.mean.numel()} pixels, got {d.shape[1]}")
        return d - self.mean

    def _M(self) -> torch.Tensor:
        """M = W^T W + sigma2 I_k, the k x k matrix that every exact formula goes through."""
        return self.W.T @ self.W + self.sigma2 * torch.eye(self.k, dtype=torch.float64)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact p(z|x) = N(M^-1 W^T (x - mean), sigma2 M^-1): means (N, k) and the shared covariance (k, k)."""
        M = self._M()
        means = torch.linalg.solve(M, (self._centred(x) @ self.W).T).T
        return means, self.sigma2 * torch.linalg.inv(M)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) = log N(x; mean, W W^T + sigma2 I), (N,), by Woodbury and the determinant lemma."""
        d, M = self._centred(x), self._M()
        D, dW = d.shape[1], d @ self.W
        # C^-1 = (I - W M^-1 W^T) / sigma2   and   log|C| = (D - k) log sigma2 + log|M|
        quad = (d.pow(2).sum(1) - (dW * torch.linalg.solve(M, dW.T).T).sum(1)) / self.sigma2
        logdet = (D - self.k) * math.log(self.sigma2) + torch.linalg.slogdet(M)[1]
        return -0.5 * (D * math.log(2 * math.pi) + logdet + quad)

    def expected_log_likelihood(self, x: torch.Tensor, m: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        """E_{z~N(m,S)}[log p(x|z)] = -D/2 log(2 pi sigma2) - (||x - mean - W m||^2 + tr(W^T W S)) / (2 sigma2), (N,)."""
        d = self._centred(x)
        sq = (d - m.to(torch.float64) @ self.W.T).pow(2).sum(1)
        trace = (self.W.T @ self.W * S.to(torch.float64)).sum((-2, -1))
        return -0.5 * d.shape[1] * math.log(2 * math.pi * self.sigma2) - (sq + trace) / (2 * self.sigma2)

    def elbo(self, x: torch.Tensor, m: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        """ELBO(q) = E_q[log p(x|z)] - KL(q || N(0, I)) for q = N(m, S), in closed form, (N,)."""
        zeros = torch.zeros_like(m, dtype=torch.float64)
        eye = torch.eye(self.k, dtype=torch.float64)
        return self.expected_log_likelihood(x, m, S) - gaussian_kl_full(m, S, zeros, eye)


def gaussian_kl_full(m1: torch.Tensor, S1: torch.Tensor, m2: torch.Tensor, S2: torch.Tensor) -> torch.Tensor:
    """KL(N(m1, S1) || N(m2, S2)) = 1/2 [tr(S2^-1 S1) + (m2-m1)^T S2^-1 (m2-m1) - k + log|S2| - log|S1|], (N,)."""
    m1, S1, m2, S2 = (t.to(torch.float64) for t in (m1, S1, m2, S2))
    k, diff = m1.shape[-1], (m2 - m1).unsqueeze(-1)
    trace = torch.linalg.solve(S2, S1).diagonal(dim1=-2, dim2=-1).sum(-1)
    quad = (diff * torch.linalg.solve(S2, diff)).sum((-2, -1))
    return 0.5 * (trace + quad - k + torch.linalg.slogdet(S2)[1] - torch.linalg.slogdet(S1)[1])


def fit_ppca(x: torch.Tensor, k: int, sigma2: float | None = None) -> PPCA:
    """Closed form from chapter 02's eigenvalues: sigma2 = mean of the discarded ones, W = U_k (Lambda_k - sigma2 I)^(1/2).

    The eigenvalues are those of the covariance with 1/(N - 1) (course_utils.linear.fit_pca); the maximum-likelihood
    solution uses 1/N, a factor (N - 1)/N away. Pixels with zero variance are fine: every pixel gets noise sigma2 > 0.

    With `sigma2` given, the noise is held at that value and W is the maximum-likelihood W for it (Tipping & Bishop):
    W = U_k max(Lambda_k - sigma2 I, 0)^(1/2). Every direction whose eigenvalue is at most sigma2 gets a zero column:
    that latent dimension is ignored by the decoder, and its exact posterior is the prior N(0, 1) for every x
    (posterior collapse in closed form; Lucas et al., 2019).
    """
    pca = fit_pca(x, method="eigh")                      # all min(N, D) components
    lam = pca.explained_variance
    if not 1 <= k < len(lam):
        raise ValueError(f"k must be between 1 and {len(lam) - 1}, got {k}")
    if sigma2 is None:
        sigma2 = float(lam[k:].sum()) / (pca.mean.numel() - k)    # D - k discarded eigenvalues (missing ones are 0)
        if not sigma2 > 0 or not float(lam[k - 1]) > sigma2:
            raise ValueError(f"PPCA needs eigenvalue k = {k} above the mean of the discarded ones; choose a smaller k")
    else:
        if not (isinstance(sigma2, (int, float)) and math.isfinite(sigma2) and sigma2 > 0):
            raise ValueError(f"sigma2 must be a positive finite number (a noise variance), got {sigma2!r}; "
                             "leave it out to fit it from the data")
        sigma2 = float(sigma2)
    W = pca.components[:k].T * (lam[:k] - sigma2).clamp_min(0).sqrt()
    return PPCA(pca.mean, W, sigma2)
