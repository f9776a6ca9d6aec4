"""course_utils.linear: PCA from first principles, principal angles and the linear autoencoder."""
import math

import numpy as np
import pytest
import torch

from course_utils.linear import (PCA, LinearAutoencoder, align_signs, fit_pca, orthonormal_basis,
                                 principal_angles)


@pytest.fixture(scope="module")
def data():
    """Correlated Gaussian data with a clear spectrum: 500 samples in 12 dimensions, shifted off the origin."""
    g = torch.Generator().manual_seed(0)
    scales = torch.tensor([5.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.1])
    q, _ = torch.linalg.qr(torch.randn(12, 12, generator=g))
    return (torch.randn(500, 12, generator=g) * scales) @ q.T + 3.0


def test_svd_and_eigh_agree_with_sklearn(data):
    from sklearn.decomposition import PCA as SkPCA
    sk = SkPCA(svd_solver="full").fit(data.double().numpy())
    for method in ("svd", "eigh"):
        p = fit_pca(data, method=method)
        ref = torch.from_numpy(sk.components_)
        assert (align_signs(p.components, ref) - ref).abs().max() < 1e-9
        assert torch.allclose(p.explained_variance, torch.from_numpy(sk.explained_variance_), rtol=1e-10)
        assert torch.allclose(p.mean, torch.from_numpy(sk.mean_))
        assert math.isclose(float(p.explained_variance_ratio.sum()), 1.0, rel_tol=1e-10)


def test_components_orthonormal_and_sorted(data):
    p = fit_pca(data, k=5)
    assert p.k == 5 and p.components.shape == (5, 12)
    assert torch.allclose(p.components @ p.components.T, torch.eye(5, dtype=torch.float64), atol=1e-12)
    assert (p.explained_variance[:-1] >= p.explained_variance[1:]).all()
    # sign convention: the largest entry of each component is positive
    assert (p.components.gather(1, p.components.abs().argmax(1, keepdim=True)) > 0).all()


def test_encode_decode_shapes_dtypes_and_error_identity(data):
    p = fit_pca(data)
    x = data.float()
    z = p.encode(x)
    assert z.shape == (500, 12) and z.dtype == torch.float32
    assert torch.allclose(p.decode(z.double()).float(), x, atol=1e-4)   # all components: exact
    p3 = p.top(3)
    x_hat = p3.reconstruct(data.double())
    n = len(data)
    err = float((x_hat - data.double()).pow(2).sum(1).mean())
    assert math.isclose(err, float(p.explained_variance[3:].sum()) * (n - 1) / n, rel_tol=1e-10)
    images = torch.rand(4, 1, 28, 28)
    pi = fit_pca(images)
    assert pi.reconstruct(images).shape == images.shape


def test_principal_angles_planted():
    g = torch.Generator().manual_seed(1)
    q, _ = torch.linalg.qr(torch.randn(20, 20, generator=g, dtype=torch.float64))
    theta = torch.tensor([0.1, 0.6, 1.5], dtype=torch.float64)
    a = q[:, :3] @ torch.randn(3, 3, generator=g, dtype=torch.float64)
    b = q[:, :3] * theta.cos() + q[:, 3:6] * theta.sin()
    assert torch.allclose(principal_angles(a, b), theta, atol=1e-10)
    assert torch.allclose(principal_angles(a, b, degrees=True), torch.rad2deg(theta), atol=1e-8)
    assert torch.allclose(principal_angles(a, a.float() * 3), torch.zeros(3, dtype=torch.float64), atol=1e-3)
    assert principal_angles(q[:, :2], q[:, 2:6]).allclose(torch.full((2,), math.pi / 2, dtype=torch.float64))
    assert principal_angles(q[:, :2], q[:, :5]).shape == (2,)


def test_orthonormal_basis_spans_the_columns():
    a = torch.randn(10, 3, dtype=torch.float64)
    q = orthonormal_basis(a)
    assert torch.allclose(q.T @ q, torch.eye(3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(q @ (q.T @ a), a, atol=1e-12)


def test_linear_autoencoder_shapes_and_basis():
    ae = LinearAutoencoder(4)
    x = torch.rand(6, 1, 28, 28)
    assert ae(x).shape == x.shape and ae(x.flatten(1)).shape == (6, 784)
    assert ae.decoder_basis.shape == (784, 4)
    # an invertible mix of the code changes the weights but not the reconstructions
    a = torch.tensor([[2.0, 1.0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 3.0], [0, 0, 0, 0.5]])
    mixed = LinearAutoencoder(4)
    with torch.no_grad():
        mixed.decoder.weight.copy_(ae.decoder.weight @ a)
        mixed.decoder.bias.copy_(ae.decoder.bias)
        mixed.encoder.weight.copy_(torch.linalg.solve(a, ae.encoder.weight))
        mixed.encoder.bias.copy_(torch.linalg.solve(a, ae.encoder.bias))
        assert torch.allclose(mixed(x), ae(x), atol=1e-5)
    assert principal_angles(mixed.decoder_basis, ae.decoder_basis).max() < 1e-3


@pytest.mark.parametrize("bad,err", [
    (np.zeros((5, 3)), TypeError),
    (torch.zeros(5), ValueError),
    (torch.zeros(1, 4), ValueError),
    (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), ValueError),
])
def test_fit_pca_rejects_bad_input(bad, err):
    with pytest.raises(err):
        fit_pca(bad)


def test_fit_pca_rejects_bad_k_and_method(data):
    for k in (0, 13, -1):
        with pytest.raises(ValueError, match="k must be"):
            fit_pca(data, k=k)
    with pytest.raises(ValueError, match="method"):
        fit_pca(data, method="qr")
    p = fit_pca(data, k=4)
    with pytest.raises(ValueError, match="k must be"):
        p.top(5)
    with pytest.raises(ValueError, match="features"):
        p.encode(torch.zeros(3, 11))
    with pytest.raises(ValueError, match="codes must have shape"):
        p.decode(torch.zeros(3, 5))


def test_principal_angles_reject_bad_input():
    a = torch.randn(10, 3)
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(a, torch.randn(9, 3))
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(a, torch.randn(10))
    with pytest.raises(ValueError, match="linearly dependent"):
        principal_angles(a, torch.cat([a[:, :2], a[:, :1] * 2], 1))
    with pytest.raises(ValueError, match="between 1 and"):
        orthonormal_basis(torch.randn(3, 5))
    with pytest.raises(ValueError, match="NaN"):
        orthonormal_basis(torch.full((4, 2), float("nan")))


def test_align_signs_and_model_reject_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        align_signs(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="positive"):
        LinearAutoencoder(0)
    r = torch.randn(3, 5)
    assert torch.equal(align_signs(-r, r), r)


def test_pca_is_a_dataclass_with_ratio(data):
    p = fit_pca(data, k=2)
    assert isinstance(p, PCA)
    assert 0 < float(p.explained_variance_ratio.sum()) < 1
