"""Linear tools built by hand in chapter 02: PCA, principal angles and the linear autoencoder.

PCA here is the textbook recipe, written out so a learner can read it:

1. centre the data, ``Xc = X - mean``;
2. take the SVD ``Xc = U S V^T`` (or the eigendecomposition of the covariance
   ``C = Xc^T Xc / (N - 1) = V diag(S^2 / (N - 1)) V^T``);
3. the rows of ``V^T`` are the principal components, ``S^2 / (N - 1)`` their variances.

Everything is computed in float64, so it agrees with scikit-learn to ~1e-12;
``encode`` / ``decode`` / ``reconstruct`` return the dtype of their input.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


def _as_matrix(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """(N, ...) -> (N, D) float64 on the CPU; rejects non-tensors, 1-D input and NaN / inf."""
    if not torch.is_tensor(x):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, D) or (N, 1, 28, 28), got {tuple(x.shape)}")
    m = x.detach().cpu().reshape(len(x), -1).to(torch.float64)
    if not torch.isfinite(m).all():
        raise ValueError(f"{name} contains NaN or inf")
    return m


@dataclass
class PCA:
    """A fitted PCA: mean (D,), components (k, D) with orthonormal rows, their variances (k,)."""

    mean: torch.Tensor
    components: torch.Tensor
    explained_variance: torch.Tensor
    total_variance: float
    n_samples: int

    @property
    def k(self) -> int:
        """Number of components kept."""
        return self.components.shape[0]

    @property
    def explained_variance_ratio(self) -> torch.Tensor:
        """Share of the total variance carried by each component."""
        return self.explained_variance / self.total_variance

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        m = _as_matrix(x)
        if m.shape[1] != self.mean.numel():
            raise ValueError(f"this PCA was fitted on {self.mean.numel()} features, got {m.shape[1]}")
        return m

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes z = (x - mean) V_k, shape (N, k)."""
        dtype = x.dtype if x.is_floating_point() else torch.float32
        return ((self._check(x) - self.mean) @ self.components.T).to(dtype)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Points mean + z V_k^T, shape (N, D)."""
        if not torch.is_tensor(z) or z.ndim != 2 or z.shape[1] != self.k:
            raise ValueError(f"codes must have shape (N, {self.k}), got "
                             f"{tuple(z.shape) if torch.is_tensor(z) else type(z).__name__}")
        dtype = z.dtype if z.is_floating_point() else torch.float32
        return (z.detach().to(torch.float64) @ self.components + self.mean).to(dtype)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Project x onto the PCA subspace; same shape and dtype as x."""
        z = (self._check(x) - self.mean) @ self.components.T
        x_hat = z @ self.components + self.mean
        return x_hat.to(x.dtype if x.is_floating_point() else torch.float32).reshape(x.shape)

    def top(self, k: int) -> "PCA":
        """The same PCA keeping only its first k components."""
        if not 1 <= k <= self.k:
            raise ValueError(f"k must be between 1 and {self.k}, got {k}")
        return PCA(self.mean, self.components[:k], self.explained_variance[:k],
                   self.total_variance, self.n_samples)


def fit_pca(x: torch.Tensor, k: int | None = None, method: str = "svd") -> PCA:
    """Fit PCA on x (N, D) by SVD of the centred data or by eigh of the covariance; keep k components."""
    m = _as_matrix(x)
    n, d = m.shape
    if n < 2:
        raise ValueError(f"PCA needs at least 2 samples, got {n}")
    k = min(n, d) if k is None else k
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be between 1 and min(N, D) = {min(n, d)}, got {k}")
    mean = m.mean(0)
    xc = m - mean                                          # step 1: centre
    if method == "svd":
        _, s, vt = torch.linalg.svd(xc, full_matrices=False)  # step 2: Xc = U S V^T
        var, comps = s**2 / (n - 1), vt
    elif method == "eigh":
        cov = xc.T @ xc / (n - 1)                          # C = Xc^T Xc / (N - 1)
        evals, evecs = torch.linalg.eigh(cov)              # ascending order
        var, comps = evals.flip(0).clamp_min(0), evecs.flip(1).T
    else:
        raise ValueError(f"method must be 'svd' or 'eigh', got {method!r}")
    comps = comps[:k]
    # A sign convention so two fits give the same vectors: the largest |entry| of each component is positive.
    signs = torch.sign(comps.gather(1, comps.abs().argmax(1, keepdim=True)))
    comps = comps * signs
    total = float(xc.pow(2).sum() / (n - 1))
    return PCA(mean, comps, var[:k].clone(), total, n)


def align_signs(a: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Flip rows of a (k, D) so each has a non-negative dot product with the same row of reference."""
    if not (torch.is_tensor(a) and torch.is_tensor(reference)) or a.ndim != 2 or a.shape != reference.shape:
        raise ValueError("a and reference must be tensors of the same shape (k, D), got "
                         f"{getattr(a, 'shape', type(a).__name__)} and "
                         f"{getattr(reference, 'shape', type(reference).__name__)}")
    dots = (a.to(torch.float64) * reference.to(torch.float64)).sum(1, keepdim=True)
    return a * torch.where(dots < 0, -1.0, 1.0).to(a.dtype)


def orthonormal_basis(a: torch.Tensor, rtol: float = 1e-10) -> torch.Tensor:
    """An orthonormal basis Q (D, p) of the column space of a (D, p), by reduced QR; rejects rank < p."""
    if not torch.is_tensor(a) or a.ndim != 2:
        raise ValueError(f"a must be a 2-D tensor (D, p) whose columns span a subspace, got "
                         f"{tuple(a.shape) if torch.is_tensor(a) else type(a).__name__}")
    d, p = a.shape
    if p < 1 or p > d:
        raise ValueError(f"a must have between 1 and D = {d} columns, got {p}")
    m = a.detach().cpu().to(torch.float64)
    if not torch.isfinite(m).all():
        raise ValueError("a contains NaN or inf")
    q, r = torch.linalg.qr(m, mode="reduced")
    diag = r.diagonal().abs()
    if diag.min() <= rtol * max(float(diag.max()), 1e-300):
        raise ValueError(f"the {p} columns of a are linearly dependent (rank < {p}); "
                         f"they do not span a {p}-dimensional subspace")
    return q


def principal_angles(a: torch.Tensor, b: torch.Tensor, degrees: bool = False) -> torch.Tensor:
    """Principal angles between the column spaces of a (D, p) and b (D, q), ascending: arccos of svd(Q_a^T Q_b)."""
    if not (torch.is_tensor(a) and torch.is_tensor(b)) or a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError("a and b must be 2-D tensors with the same number of rows (D, p) and (D, q), got "
                         f"{getattr(a, 'shape', type(a).__name__)} and {getattr(b, 'shape', type(b).__name__)}")
    qa, qb = orthonormal_basis(a), orthonormal_basis(b)
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(0.0, 1.0)   # descending -> angles ascending
    angles = torch.arccos(cosines)
    return angles * (180.0 / math.pi) if degrees else angles


class LinearAutoencoder(nn.Module):
    """x -> W_enc x + b_enc -> W_dec z + b_dec, no activation; images come back in their own shape."""

    def __init__(self, code_size: int, n_pixels: int = 784):
        super().__init__()
        if code_size < 1 or n_pixels < 1:
            raise ValueError(f"code_size and n_pixels must be positive, got {code_size} and {n_pixels}")
        self.encoder = nn.Linear(n_pixels, code_size)
        self.decoder = nn.Linear(code_size, n_pixels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct x (N, 784) or (N, 1, 28, 28), same shape out."""
        return self.decoder(self.encoder(x.flatten(1))).view_as(x)

    @property
    def decoder_basis(self) -> torch.Tensor:
        """W_dec, shape (n_pixels, code_size): its columns span the decoder's subspace."""
        return self.decoder.weight.detach()
