"""Exercises of chapter 02 (autoencoder_vs_pca)."""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..linear import align_signs, fit_pca
from . import Exercise, call, expect

CHAPTER = "02_autoencoder_vs_pca"


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    """Real MNIST digits as (N, 784) float32 matrices: 3,000 for fitting and 1,000 held out."""
    from ..data import load_mnist

    mnist = load_mnist(verbose=False)
    return mnist.x_train[:3000].flatten(1), mnist.x_test[:1000].flatten(1)


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float) -> bool:
    return a.shape == b.shape and bool(((a - b).abs() <= rtol * b.abs().max()).all())


# ---------------------------------------------------------------- exercise 1: PCA by SVD
def _check_pca_svd(fn) -> None:
    x = _digits()[0][:1000]
    n, k = len(x), 10
    out = call(fn, x.clone(), k)
    expect(isinstance(out, (tuple, list)) and len(out) == 3,
           f"return three things (mean, components, explained_variance), got {type(out).__name__}",
           f"तीन चीज़ें return करें (mean, components, explained_variance), मिला {type(out).__name__}")
    mean, comps, var = out
    expect(all(torch.is_tensor(t) for t in out), "return torch tensors", "torch tensors return करें")
    mean, comps, var = mean.detach().double(), comps.detach().double(), var.detach().double()
    ref = fit_pca(x, k)
    expect(tuple(mean.shape) == (784,), f"mean must have shape (784,), got {tuple(mean.shape)}",
           f"mean की shape (784,) होनी चाहिए, मिली {tuple(mean.shape)}")
    expect(torch.allclose(mean, ref.mean, atol=1e-5), "mean is not the average training image (mean over dim 0)",
           "mean training images का औसत नहीं है (dim 0 पर mean लें)")
    expect(tuple(comps.shape) != (784, k),
           f"components have shape (784, {k}): return them as rows, shape ({k}, 784), like sklearn's components_",
           f"components की shape (784, {k}) है: उन्हें rows की तरह लौटाएँ, shape ({k}, 784), sklearn के components_ जैसे")
    expect(tuple(comps.shape) == (k, 784), f"components must have shape ({k}, 784), got {tuple(comps.shape)}",
           f"components की shape ({k}, 784) होनी चाहिए, मिली {tuple(comps.shape)}")
    expect(torch.allclose(comps.norm(dim=1), torch.ones(k, dtype=torch.float64), atol=1e-3),
           "each component must be a unit vector: take the rows of Vh, not S * Vh",
           "हर component unit vector होना चाहिए: Vh की rows लें, S * Vh नहीं")
    xd = x.double()
    _, _, vt_raw = torch.linalg.svd(xd, full_matrices=False)
    expect(float((align_signs(comps, vt_raw[:k]) - vt_raw[:k]).abs().max()) > 1e-3,
           "these are the directions of the raw data: centre x (subtract the mean) before the SVD",
           "ये raw data की directions हैं: SVD से पहले x को centre करें (mean घटाएँ)")
    diff = float((align_signs(comps, ref.components) - ref.components).abs().max())
    expect(diff < 1e-3, f"components differ from PCA's by up to {diff:.3g} (after fixing signs); "
           "use the first k rows of Vh from the SVD of the centred data, in order",
           f"components PCA से {diff:.3g} तक अलग हैं (sign ठीक करने के बाद); centred data के SVD के Vh की पहली k rows, "
           "उसी क्रम में, लें")
    expect(tuple(var.shape) == (k,), f"explained_variance must have shape ({k},), got {tuple(var.shape)}",
           f"explained_variance की shape ({k},) होनी चाहिए, मिली {tuple(var.shape)}")
    s = (ref.explained_variance * (n - 1)).sqrt()
    expect(not _close(var, s, 1e-4), "these are singular values s_i; the variances are s_i² / (N - 1)",
           "ये singular values s_i हैं; variances s_i² / (N - 1) हैं")
    expect(not _close(var, s**2 / n, 1e-5), "divide s_i² by N - 1, not N (sklearn does the same)",
           "s_i² को N - 1 से भाग दें, N से नहीं (sklearn भी यही करता है)")
    expect(_close(var, ref.explained_variance, 1e-5), "explained_variance is not s_i² / (N - 1) of the centred data",
           "explained_variance, centred data के s_i² / (N - 1) नहीं है")
    out3 = call(fn, x.clone(), 3)
    expect(isinstance(out3, (tuple, list)) and len(out3) == 3 and tuple(out3[1].shape) == (3, 784),
           "with k = 3 the components must have shape (3, 784): use the argument k",
           "k = 3 पर components की shape (3, 784) होनी चाहिए: argument k इस्तेमाल करें")


ex1 = Exercise(
    CHAPTER, 1, _check_pca_svd,
    hints=[("पहले `mean = x.mean(0)` निकालें और `xc = x - mean` बनाएँ; फिर `torch.linalg.svd(xc, full_matrices=False)` "
            "तीन चीज़ें देता है: U, S, Vh।",
            "First compute `mean = x.mean(0)` and `xc = x - mean`; then `torch.linalg.svd(xc, full_matrices=False)` "
            "returns three things: U, S, Vh."),
           ("Principal components `Vh` की पहली k rows हैं (shape (k, 784)); उनके variances `S**2 / (N - 1)` हैं, "
            "N = `len(x)`।",
            "The principal components are the first k rows of `Vh` (shape (k, 784)); their variances are "
            "`S**2 / (N - 1)` with N = `len(x)`."),
           ("`return mean, vh[:k], s[:k] ** 2 / (len(x) - 1)`", "`return mean, vh[:k], s[:k] ** 2 / (len(x) - 1)`")],
    solution_code="""
        def pca_svd(x, k):
            mean = x.mean(dim=0)
            _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
            return mean, vh[:k], s[:k] ** 2 / (len(x) - 1)
    """,
)


# ---------------------------------------------------------------- exercise 2: principal angles
def _planted(seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Pairs of bases (a, b) of subspaces of R^30 with known principal angles, given by mixed, non-orthonormal bases."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(30, 30, generator=g, dtype=torch.float64))
    mix = lambda p: torch.randn(p, p, generator=g, dtype=torch.float64) + 2 * torch.eye(p, dtype=torch.float64)  # noqa: E731
    theta = torch.tensor([0.3, 0.8, 1.2], dtype=torch.float64)
    b1 = q[:, :3] * theta.cos() + q[:, 3:6] * theta.sin()            # column i turned by theta_i
    c = torch.tensor(0.5, dtype=torch.float64)
    b3 = torch.stack([q[:, 0], c.cos() * q[:, 1] + c.sin() * q[:, 7], q[:, 9], q[:, 10]], 1)
    return [(q[:, :3] @ mix(3), b1 @ mix(3), theta),                                   # three angles
            (q[:, :4] @ mix(4), q[:, :4] @ mix(4), torch.zeros(4, dtype=torch.float64)),  # same subspace
            (q[:, :2] @ mix(2), b3 @ mix(4), torch.tensor([0.0, 0.5], dtype=torch.float64))]  # 2-D vs 4-D


def _check_angles(fn) -> None:
    for i, (a, b, want) in enumerate(_planted()):
        out = call(fn, a.clone(), b.clone())
        expect(torch.is_tensor(out), f"return a tensor, not {type(out).__name__}",
               f"tensor return करें, {type(out).__name__} नहीं")
        got = out.detach().double().flatten()
        expect(len(got) == len(want), f"for a {a.shape[1]}-D and a {b.shape[1]}-D subspace return "
               f"{len(want)} angles (min(p, q)), got {len(got)}",
               f"{a.shape[1]}-D और {b.shape[1]}-D subspace के लिए {len(want)} angles (min(p, q)) लौटाएँ, "
               f"मिले {len(got)}")
        expect(bool(torch.isfinite(got).all()),
               "NaN in the angles: rounding can push a cosine just above 1; clamp the cosines to [0, 1] before arccos",
               "angles में NaN है: rounding से cosine 1 से थोड़ा ऊपर जा सकता है; arccos से पहले cosines को [0, 1] में clamp करें")
        if torch.allclose(got, want.cos(), atol=2e-3) and not torch.allclose(got, want, atol=2e-3):
            expect(False, "these are the cosines of the angles: apply torch.arccos",
                   "ये angles के cosines हैं: torch.arccos लगाएँ")
        expect(not (torch.allclose(got, want * 180 / math.pi, atol=0.1) and want.abs().max() > 0),
               "these are degrees: return radians (torch.arccos gives radians)",
               "ये degrees हैं: radians लौटाएँ (torch.arccos radians देता है)")
        if torch.allclose(got.flip(0), want, atol=2e-3) and not torch.allclose(got, want, atol=2e-3):
            expect(False, "return the angles in ascending order, smallest first",
                   "angles बढ़ते क्रम में लौटाएँ, सबसे छोटा पहले")
        expect(torch.allclose(got, want, atol=2e-3),
               f"planted pair {i + 1}: expected angles {[round(v, 3) for v in want.tolist()]}, got "
               f"{[round(v, 3) for v in got.tolist()]}; are the bases orthonormalised (QR) before the SVD?",
               f"planted pair {i + 1}: अपेक्षित angles {[round(v, 3) for v in want.tolist()]}, मिले "
               f"{[round(v, 3) for v in got.tolist()]}; क्या SVD से पहले bases को QR से orthonormal किया?")


ex2 = Exercise(
    CHAPTER, 2, _check_angles,
    hints=[("a और b के columns orthonormal नहीं हैं। पहले `torch.linalg.qr(a).Q` से दोनों subspaces की orthonormal basis बनाएँ।",
            "The columns of a and b are not orthonormal. First build an orthonormal basis of each subspace with "
            "`torch.linalg.qr(a).Q`."),
           ("Qa^T Qb के singular values (`torch.linalg.svdvals`) principal angles के cosines हैं, बड़े से छोटे "
            "क्रम में; इसलिए उनका arccos अपने-आप बढ़ते क्रम में होगा।",
            "The singular values of Qa^T Qb (`torch.linalg.svdvals`) are the cosines of the principal angles, "
            "largest first; so their arccos comes out in ascending order by itself."),
           ("`torch.arccos(torch.linalg.svdvals(qa.T @ qb).clamp(0, 1))`: clamp इसलिए कि rounding से cosine 1.0000001 "
            "हो सकता है।",
            "`torch.arccos(torch.linalg.svdvals(qa.T @ qb).clamp(0, 1))`: the clamp is there because rounding can "
            "make a cosine 1.0000001.")],
    solution_code="""
        def angles_between(a, b):
            qa = torch.linalg.qr(a).Q
            qb = torch.linalg.qr(b).Q
            cosines = torch.linalg.svdvals(qa.T @ qb).clamp(0, 1)
            return torch.arccos(cosines)
    """,
)


# ---------------------------------------------------------------- exercise 3: PCA error on held-out digits
def _check_test_error(fn) -> None:
    x_train, x_test = _digits()
    for k in (10, 30):
        out = call(fn, x_train.clone(), x_test.clone(), k)
        try:
            got = float(out)
        except (TypeError, ValueError):
            expect(False, f"return one number (a float or a 0-d tensor), got {type(out).__name__}",
                   f"एक number लौटाएँ (float या 0-d tensor), मिला {type(out).__name__}")
        pca = fit_pca(x_train, k)
        xt = x_test.double()
        want = float((pca.reconstruct(xt) - xt).pow(2).sum(1).mean())
        leak = fit_pca(x_test, k)
        leaked = float((leak.reconstruct(xt) - xt).pow(2).sum(1).mean())
        mu_t = xt.mean(0)
        own_mean = float(((xt - mu_t) @ pca.components.T @ pca.components + mu_t - xt).pow(2).sum(1).mean())
        close = lambda v: abs(got - v) <= 2e-4 * abs(v)  # noqa: E731
        expect(not close(leaked), "this is the error of a PCA fitted on the test digits; fit on x_train only",
               "यह test digits पर fit हुए PCA का error है; PCA सिर्फ़ x_train पर fit करें")
        expect(not close(want / 784), "this is the mean over pixels; sum over the 784 pixels, average over images",
               "यह pixels पर mean है; 784 pixels पर sum लें, images पर औसत")
        expect(not close(own_mean), "the test digits were centred with their own mean; use the training mean",
               "test digits को उनके अपने mean से centre किया गया; training mean इस्तेमाल करें")
        expect(close(want), f"for k = {k} the error should be {want:.3f} squared error per image, got {got:.4g}",
               f"k = {k} पर error {want:.3f} (प्रति image squared error) होना चाहिए, मिला {got:.4g}")


ex3 = Exercise(
    CHAPTER, 3, _check_test_error,
    hints=[("PCA सिर्फ़ `x_train` पर fit करें (exercise 1 का `pca_svd` या `course_utils.linear.fit_pca`); test digits को "
            "उसी training mean और उन्हीं components से encode और decode करें।",
            "Fit PCA on `x_train` only (your `pca_svd` from exercise 1, or `course_utils.linear.fit_pca`); encode "
            "and decode the test digits with that training mean and those components."),
           ("x̂ = μ + V_k V_kᵀ (x − μ); row vectors में: `(x_test - mean) @ comps.T @ comps + mean`।",
            "x̂ = μ + V_k V_kᵀ (x − μ); with row vectors: `(x_test - mean) @ comps.T @ comps + mean`."),
           ("Error: `((x_hat - x_test) ** 2).sum(dim=1).mean()`: pixels पर sum, images पर mean।",
            "Error: `((x_hat - x_test) ** 2).sum(dim=1).mean()`: sum over pixels, mean over images.")],
    solution_code="""
        def pca_test_error(x_train, x_test, k):
            mean = x_train.mean(dim=0)
            _, _, vh = torch.linalg.svd(x_train - mean, full_matrices=False)
            comps = vh[:k]
            x_hat = (x_test - mean) @ comps.T @ comps + mean
            return ((x_hat - x_test) ** 2).sum(dim=1).mean()
    """,
)
