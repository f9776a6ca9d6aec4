import pytest
import torch
import torch.nn.functional as F

from course_utils import losses
from course_utils.losses import bce_logits_per_image, bce_per_image, gaussian_kl, mse_per_image
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


def test_bce_errors_carry_the_fix_in_both_languages():
    x = torch.rand(4, 784)
    with pytest.raises(ValueError, match=r"(?s)x in \[0, 1\].*x / 255.*255 से divide करें"):
        bce_per_image(torch.rand(4, 784), x * 255)
    with pytest.raises(ValueError, match=r"(?s)x_hat in \[0, 1\].*bce_logits_per_image.*sigmoid लगाएँ"):
        bce_per_image(torch.randn(4, 784) * 5, x)


NAN_MESSAGE = r"contains NaN \(1 of 3,136 values\).*diverged.*log\(0\).*division by zero.*NaN है"


@pytest.mark.parametrize("checked", [True, False])
def test_bce_on_nan_says_nan_and_where_it_comes_from(checked):
    x, p = torch.rand(4, 784), torch.rand(4, 784)
    bad = p.clone()
    bad[2, 5] = float("nan")
    with losses.checks(checked):  # unchecked, torch's own range check fires and is translated
        with pytest.raises(ValueError, match="(?s)x_hat " + NAN_MESSAGE) as err:
            bce_per_image(bad, x)
        assert "between 0 and 1" not in str(err.value)
        with pytest.raises(ValueError, match="(?s)x " + NAN_MESSAGE):
            bce_per_image(p, bad)
    with pytest.raises(ValueError, match="(?s)logits " + NAN_MESSAGE):
        bce_logits_per_image(bad, x)
    with pytest.raises(ValueError, match="(?s)x " + NAN_MESSAGE):
        bce_logits_per_image(p, bad)


def test_bce_logits_equals_bce_of_the_sigmoid():
    logits, x = torch.randn(5, 1, 28, 28) * 3, torch.rand(5, 1, 28, 28)
    ref = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / 5
    assert torch.isclose(bce_logits_per_image(logits, x), ref, rtol=1e-4)
    assert torch.isclose(bce_logits_per_image(logits, x), bce_per_image(torch.sigmoid(logits), x), rtol=1e-4)
    # Where the sigmoid rounds to 1, log(1 - x_hat) = log(0): the probability form is clamped at 100 per
    # pixel, the logit form gives the true -log(1 - sigmoid(200)) = 200.
    big, zeros = torch.full((1, 3), 200.0), torch.zeros(1, 3)
    assert bce_logits_per_image(big, zeros).item() == pytest.approx(600.0)
    assert bce_per_image(torch.sigmoid(big), zeros).item() < 600.0


def test_bce_logits_gradient_is_prediction_minus_target_and_matches_torch():
    logits = (torch.randn(4, 784, dtype=torch.double) * 4).requires_grad_()
    x = torch.rand(4, 784, dtype=torch.double)
    bce_logits_per_image(logits, x).backward()
    assert torch.allclose(logits.grad, (torch.sigmoid(logits) - x) / 4)
    ref = logits.detach().clone().requires_grad_()
    (F.binary_cross_entropy_with_logits(ref, x, reduction="sum") / 4).backward()
    assert torch.allclose(logits.grad, ref.grad)
    small = (torch.randn(3, 5, dtype=torch.double), torch.rand(3, 5, dtype=torch.double))
    args = tuple(t.clone().requires_grad_() for t in small)  # a learned target gets its gradient too
    assert torch.autograd.gradcheck(bce_logits_per_image, args)
    assert torch.autograd.gradgradcheck(bce_logits_per_image, args)

def test_bce_logits_checks_its_inputs():
    x = torch.rand(4, 784)
    with pytest.raises(ValueError, match=r"(?s)x in \[0, 1\].*255"):
        bce_logits_per_image(torch.randn(4, 784), x * 255)
    with pytest.raises(ValueError, match="infinite logit"):
        bce_logits_per_image(torch.full((4, 784), float("inf")), x)
    with pytest.raises(ValueError, match=r"\(4, 784\).*\(4, 1, 28, 28\)"):
        bce_logits_per_image(torch.randn(4, 784), x.view(4, 1, 28, 28))
    assert bce_logits_per_image(torch.randn(4, 784) * 50, x).item() > 0  # any finite logit is fine


def test_checks_switch_is_scoped_and_restored():
    x255 = torch.rand(2, 10) * 255
    assert losses.checks_enabled()
    with losses.checks(False):
        assert not losses.checks_enabled()
        bce_logits_per_image(torch.randn(2, 10), x255)  # unchecked: no pass over the batch, no error
    with pytest.raises(RuntimeError, match="inside"):
        with losses.checks(False):
            raise RuntimeError("inside")
    assert losses.checks_enabled()
    with pytest.raises(ValueError, match="255"):
        bce_logits_per_image(torch.randn(2, 10), x255)


def test_vae_logits_views_agree_and_forward_is_unchanged():
    torch.manual_seed(0)
    vae, x = MLPVAE(latent=20), torch.rand(6, 1, 28, 28)
    z = torch.randn(6, 20)
    assert vae.decode_logits(z).shape == (6, 784)
    assert torch.equal(vae.decode(z), torch.sigmoid(vae.decode_logits(z)))
    torch.manual_seed(1)
    x_hat, mu, logvar = vae(x)
    torch.manual_seed(1)
    logits, mu2, logvar2 = vae.forward_logits(x)
    assert logits.shape == x.shape and torch.equal(mu, mu2) and torch.equal(logvar, logvar2)
    assert torch.equal(x_hat, torch.sigmoid(logits))
    # forward written out as it was before forward_logits existed: the same numbers from the same draw
    torch.manual_seed(1)
    m, lv = vae.encode(x)
    old = torch.sigmoid(vae.fc3(torch.relu(vae.fc2(m + torch.exp(0.5 * lv) * torch.randn_like(m))))).view_as(x)
    assert torch.equal(x_hat, old)
    assert torch.isclose(bce_logits_per_image(logits, x), bce_per_image(x_hat, x), rtol=1e-4)
