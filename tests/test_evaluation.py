"""course_utils.evaluation: every estimator on its degenerate case, on a case with a known answer, and on bad input."""
import math

import pytest
import torch
from torch import nn

from course_utils import evaluation as ev
from course_utils.models import ConvClassifier, MLPVAE


class PriorPosterior(nn.Module):
    """q(z|x) = p(z) = N(0, I) and a decoder that ignores z: the exact posterior is the prior, so every weight is equal."""

    def __init__(self, latent: int = 3, n_pixels: int = 784):
        super().__init__()
        self.latent = latent
        self.bias = nn.Parameter(torch.linspace(-2, 2, n_pixels))

    def encode(self, x):
        zeros = torch.zeros(len(x), self.latent)
        return zeros, zeros

    def decode_logits(self, z):
        return self.bias.expand(len(z), -1)


def _binary(n=6, seed=0):
    return torch.bernoulli(torch.full((n, 784), 0.3), generator=torch.Generator().manual_seed(seed))


def test_iwae_is_exact_for_every_k_when_q_is_the_posterior():
    model, x = PriorPosterior(), _binary()
    exact = ev.bernoulli_log_likelihood(model.bias.detach()[None], x)        # log p(x) = log p(x|z) for any z
    for k in (1, 7, 300):
        lw = ev.iwae_log_weights(model, x, k)
        assert lw.shape == (6, k)
        assert torch.allclose(ev.iwae_bound(lw), exact, atol=1e-3)
        assert torch.allclose(ev.effective_sample_size(lw), torch.full((6,), float(k)), rtol=1e-4)


def test_iwae_rises_with_k_and_reaches_the_quadrature_on_a_2d_vae():
    torch.manual_seed(0)
    model = MLPVAE(latent=2, hidden=32).eval()
    with torch.no_grad():                                                     # a sharp, misfit q: a visible gap
        model.fc_logvar.bias.fill_(-3.0)
        model.fc2.weight.mul_(4.0)                                            # a decoder that depends on z
    x = _binary(8, seed=1)
    exact = ev.log_px_quadrature(model, x, half_width=6.0, n=301)
    finer = ev.log_px_quadrature(model, x, half_width=7.0, n=401)
    assert torch.allclose(exact, finer, atol=1e-3), "the grid has converged"
    means = [float(ev.iwae_bound(ev.iwae_log_weights(model, x, k, seed=s)).mean())
             for k in (1, 10, 5000) for s in (0,)]
    # expected rise, with room: one draw per k, but the gap between k = 1 and the exact value is several nats here
    assert means[0] < means[1] < means[2]
    assert float(exact.mean()) - means[0] > 2.0
    assert abs(means[2] - float(exact.mean())) < 0.05 * (float(exact.mean()) - means[0])
    ess = ev.effective_sample_size(ev.iwae_log_weights(model, x, 1000))
    assert bool(((ess >= 1 - 1e-6) & (ess <= 1000 + 1e-6)).all())


def test_iwae_refuses_grey_images_and_k_below_one():
    model = PriorPosterior()
    with pytest.raises(ValueError, match="binary images.*binarize"):
        ev.iwae_log_weights(model, torch.full((2, 784), 0.5), 3)
    with pytest.raises(ValueError, match="k must be at least 1"):
        ev.iwae_log_weights(model, _binary(2), 0)
    with pytest.raises(ValueError, match="no images"):
        ev.iwae_log_weights(model, torch.zeros(0, 784), 3)


def test_iwae_leaves_the_callers_random_numbers_alone():
    torch.manual_seed(3)
    ev.iwae_log_weights(PriorPosterior(), _binary(2), 5)
    after = torch.rand(2)
    torch.manual_seed(3)
    assert torch.equal(after, torch.rand(2))


def test_units_and_mean_se():
    assert ev.bits_per_dim(784 * math.log(2)) == pytest.approx(1.0)
    m, se = ev.mean_and_se(torch.tensor([1.0, 3.0]))
    assert m == 2.0 and se == pytest.approx(math.sqrt(2) / math.sqrt(2))
    assert math.isnan(ev.mean_and_se(torch.tensor([4.0]))[1])
    with pytest.raises(ValueError):
        ev.bits_per_dim(1.0, dims=0)


def test_frechet_distance_zero_on_itself_and_closed_form_for_shifted_gaussians():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 5, generator=g)
    assert ev.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shifted = a + torch.tensor([3.0, 0, 0, 0, 0])
    assert ev.frechet_distance(a, shifted) == pytest.approx(9.0, rel=1e-6)   # same covariance: ‖Δμ‖² only
    scaled = a * 2               # μ_b = 2μ_a, Σ_b = 4Σ_a: ‖μ_a‖² + tr(Σa + 4Σa − 2·2Σa) = ‖μ_a‖² + tr(Σa)
    want = float(a.double().mean(0).pow(2).sum() + torch.cov(a.double().T).trace())
    assert ev.frechet_distance(a, scaled) == pytest.approx(want, rel=1e-6)


def test_frechet_distance_bad_input():
    with pytest.raises(ValueError, match="at least 2 rows"):
        ev.frechet_distance(torch.zeros(1, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="same number of features"):
        ev.frechet_distance(torch.randn(5, 3), torch.randn(5, 4))
    with pytest.raises(ValueError, match="NaN or inf"):
        ev.frechet_distance(torch.full((5, 3), float("nan")), torch.randn(5, 3))


def test_precision_recall_degenerate_cases():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 4, generator=g)
    assert ev.precision_recall(real, real.clone()) == (1.0, 1.0)
    assert ev.precision_recall(real, real + 100.0) == (0.0, 0.0)
    collapsed = real[:1].repeat(50, 1)                       # mode collapse: every sample is one real point
    precision, recall = ev.precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.02
    with pytest.raises(ValueError, match="k must be between 1"):
        ev.precision_recall(real, real[:3], k=3)


def test_judge_features_are_the_penultimate_layer():
    judge = ConvClassifier().eval()
    x = torch.rand(7, 1, 28, 28)
    f = ev.judge_features(judge, x, batch_size=3)
    assert f.shape == (7, 64) and bool((f >= 0).all())
    assert torch.allclose(judge.net[-1](f), judge(x), atol=1e-5)
