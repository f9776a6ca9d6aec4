import pytest
import torch
import torch.nn.functional as F

from course_utils.losses import bce_per_image, gaussian_kl, mse_per_image
from course_utils.models import Autoencoder, MLPVAE, count_parameters


def test_mse_per_image_is_the_written_out_formula():
    x, x_hat = torch.rand(5, 1, 28, 28), torch.rand(5, 1, 28, 28)
    manual = sum(((x[n] - x_hat[n]) ** 2).sum() for n in range(5)) / 5
    assert torch.isclose(mse_per_image(x_hat, x), manual)
    assert torch.isclose(mse_per_image(x_hat, x), 784 * F.mse_loss(x_hat, x))  # the 784x of a per-pixel mean


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match=r"\(5, 784\).*\(5, 1, 28, 28\)"):
        mse_per_image(torch.rand(5, 784), torch.rand(5, 1, 28, 28))


def test_bce_refuses_values_outside_unit_interval():
    x = torch.rand(4, 784)
    with pytest.raises(ValueError, match=r"x in \[0, 1\].*255"):
        bce_per_image(torch.rand(4, 784), x * 255)
    with pytest.raises(ValueError, match="x_hat"):
        bce_per_image(torch.randn(4, 784), x)
    good = bce_per_image(torch.rand(4, 784).clamp(0.01, 0.99), x)
    assert good.item() > 0


def test_bce_matches_torch_sum_over_pixels_mean_over_images():
    x, p = torch.rand(3, 784), torch.rand(3, 784).clamp(0.01, 0.99)
    assert torch.isclose(bce_per_image(p, x), F.binary_cross_entropy(p, x, reduction="sum") / 3)


def test_gaussian_kl_matches_torch_distributions():
    mu, logvar = torch.randn(6, 4), torch.randn(6, 4)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    ref = torch.distributions.kl_divergence(q, p).sum(1).mean()
    assert torch.isclose(gaussian_kl(mu, logvar), ref, atol=1e-5)
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).item() == 0.0
    with pytest.raises(ValueError, match="same shape"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))


def test_models_shapes_and_parameter_count():
    ae = Autoencoder(code_size=32)
    assert count_parameters(ae) == 784 * 128 + 128 + 128 * 32 + 32 + 32 * 128 + 128 + 128 * 784 + 784
    x = torch.rand(7, 1, 28, 28)
    out = ae(x)
    assert out.shape == x.shape and float(out.detach().min()) >= 0 and float(out.detach().max()) <= 1
    vae = MLPVAE(latent=20)
    x_hat, mu, logvar = vae(x)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (7, 20)
    with pytest.raises(ValueError, match="positive"):
        Autoencoder(code_size=0)
