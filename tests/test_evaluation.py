"""course_utils.evaluation: every estimator on its degenerate case, on a case with a known answer, and on bad input."""
import math

import pytest
import torch
from torch import nn

from course_utils import comparison
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


# ---------------------------------------------------------------- chapter 12's additions

def test_k1_iwae_is_the_elbo_estimate_of_the_same_draw():
    torch.manual_seed(0)
    model = MLPVAE(latent=3, hidden=16).eval()
    x = _binary(5, seed=2)
    lw = ev.iwae_log_weights(model, x, 1, seed=7)
    with torch.no_grad():                                     # the same draw, by hand
        mu, logvar = model.encode(x)
        eps = torch.randn(5, 1, 3, generator=torch.Generator().manual_seed(7))[:, 0]
        z = mu + torch.exp(0.5 * logvar) * eps
        log_px_z = ev.bernoulli_log_likelihood(model.decode_logits(z), x)
        log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
        log_qz = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(1)
    assert torch.allclose(ev.iwae_bound(lw), log_px_z + log_pz - log_qz, atol=1e-4)
    assert torch.allclose(ev.iwae_bound(lw), ev.elbo_estimate(lw))


def test_expected_bound_at_its_ends_and_bad_k():
    lw = torch.randn(4, 60, generator=torch.Generator().manual_seed(0)) * 3
    assert torch.allclose(ev.expected_iwae_bound(lw, 1), ev.elbo_estimate(lw))
    assert torch.allclose(ev.expected_iwae_bound(lw, 60), ev.iwae_bound(lw))
    blocks = torch.stack([ev.iwae_bound(lw[:, i:i + 20]) for i in (0, 20, 40)]).mean(0)
    assert torch.allclose(ev.expected_iwae_bound(lw, 20), blocks)
    assert (ev.expected_iwae_bound(lw, 20) >= ev.expected_iwae_bound(lw, 1)).all()   # Jensen, block by block
    with pytest.raises(ValueError, match="k must be between 1 and the 60"):
        ev.expected_iwae_bound(lw, 61)


def test_ess_of_equal_weights_is_k_and_of_one_weight_is_one():
    assert torch.allclose(ev.effective_sample_size(torch.full((3, 40), -700.0)), torch.full((3,), 40.0))
    one = torch.full((2, 40), -700.0)
    one[:, 5] = 0.0
    assert torch.allclose(ev.effective_sample_size(one), torch.ones(2))


def test_defensive_mixture_is_exact_when_q_is_the_posterior_and_converges_on_a_2d_vae():
    model, x = PriorPosterior(latent=2), _binary(3)
    exact = ev.bernoulli_log_likelihood(model.bias.detach()[None], x)
    lw = ev.iwae_log_weights(model, x, 50, defensive=0.3)     # q = p(z): the mixture is p(z) too
    assert torch.allclose(ev.iwae_bound(lw), exact, atol=1e-3)
    torch.manual_seed(0)
    vae = MLPVAE(latent=2, hidden=32).eval()
    with torch.no_grad():
        vae.fc_logvar.bias.fill_(-6.0)                          # a q far too narrow: it misses most of the mass
        vae.fc2.weight.mul_(4.0)
    xs = _binary(6, seed=4)
    truth = ev.log_px_quadrature(vae, xs, half_width=6.0, n=301)
    plain = ev.iwae_bound(ev.iwae_log_weights(vae, xs, 3000)).mean()
    mixed = ev.iwae_bound(ev.iwae_log_weights(vae, xs, 3000, defensive=0.2)).mean()
    assert abs(float(mixed - truth.mean())) < 0.2 < float(truth.mean() - plain)
    with pytest.raises(ValueError, match="defensive"):
        ev.iwae_log_weights(vae, xs, 3, defensive=1.0)


def test_vq_code_bound_is_prior_plus_decoder_likelihood_of_the_encoder_codes():
    from course_utils.vq import VQVAE, CodePrior
    torch.manual_seed(0)
    vqvae, prior = VQVAE(K=8, D=4).eval(), CodePrior(K=8, channels=8, layers=2).eval()
    grey = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    binary = torch.bernoulli(grey, generator=torch.Generator().manual_seed(2))
    got = ev.vq_code_bound(vqvae, prior, grey, binary)
    codes = vqvae.codes(grey)
    with torch.no_grad():
        log_prior = -torch.nn.functional.cross_entropy(prior(codes), codes, reduction="none").flatten(1).sum(1)
        logits = vqvae.decoder(vqvae.quantizer.codebook[codes].permute(0, 3, 1, 2)).flatten(1)
    want = log_prior + ev.bernoulli_log_likelihood(logits, binary.flatten(1))
    assert torch.allclose(got, want, atol=1e-4) and (got < 0).all()
    with pytest.raises(ValueError, match="binary"):
        ev.vq_code_bound(vqvae, prior, grey, grey)
    with pytest.raises(ValueError, match="same images"):
        ev.vq_code_bound(vqvae, prior, grey, binary[:3])


def test_reconstruct_takes_each_family_through_its_deterministic_path():
    from course_utils.models import CVAE, Autoencoder
    torch.manual_seed(0)
    x = torch.rand(4, 1, 28, 28)
    ae = Autoencoder(code_size=4, hidden=8)
    assert torch.allclose(ev.reconstruct(ae, x), ae(x).flatten(1))
    vae = MLPVAE(latent=3, hidden=8)
    assert torch.allclose(ev.reconstruct(vae, x), vae.decode(vae.encode(x)[0]))           # z = mu, no draw
    assert torch.equal(ev.reconstruct(vae, x), ev.reconstruct(vae, x))
    cvae, y = CVAE(latent=3, hidden=8), torch.tensor([0, 1, 2, 3])
    assert torch.allclose(ev.reconstruct(cvae, x, y), cvae.decode(cvae.encode(x, y)[0], y))
    with pytest.raises(ValueError, match="takes no labels"):
        ev.reconstruct(ae, x, y)
    assert torch.equal(ev.squared_error(x, x), torch.zeros(4))
    assert ev.squared_error(torch.ones(2, 784), torch.zeros(2, 1, 28, 28)).tolist() == [784.0, 784.0]
    with pytest.raises(ValueError, match="same shape"):
        ev.squared_error(torch.ones(2, 784), torch.zeros(3, 784))


def test_fd_bias_falls_with_n_and_the_line_in_1_over_n_recovers_its_intercept():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2000, 6, generator=g), torch.randn(2000, 6, generator=g)      # one distribution
    by_n = ev.frechet_distance_by_n(a, b, [50, 200, 1000], repeats=3)
    assert by_n[50] > by_n[200] > by_n[1000]
    assert ev.frechet_distance_extrapolated({10: 3.0 + 50 / 10, 100: 3.0 + 50 / 100, 1000: 3.0 + 50 / 1000}) == \
        pytest.approx(3.0)
    with pytest.raises(ValueError, match="each n"):
        ev.frechet_distance_by_n(a, b, [1])
    with pytest.raises(ValueError, match="two sample sizes"):
        ev.frechet_distance_extrapolated({10: 1.0})


def test_recall_per_class_of_identical_sets_is_one_and_of_a_missing_class_nan():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 4, generator=g)
    labels = torch.arange(3).repeat(100)
    per = ev.recall_per_class(real, labels, real.clone(), n_classes=4)
    assert torch.equal(per[:3], torch.ones(3, dtype=torch.float64)) and math.isnan(per[3])
    far = ev.recall_per_class(real, labels, real + 100.0, n_classes=3)
    assert torch.equal(far, torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="one per real point"):
        ev.recall_per_class(real, labels[:10], real)


def test_blur_and_haze_at_zero_change_nothing_and_keep_values_in_range():
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ev.blur(x, 0), x) and torch.equal(ev.haze(x, 0), x)
    assert torch.allclose(ev.haze(x, 1), torch.full_like(x, 0.5))
    b = ev.blur(x, 1.5)
    assert b.shape == x.shape and b.min() >= 0 and b.max() <= 1 and b.std() < x.std()
    flat = torch.full((1, 1, 28, 28), 0.3)
    assert torch.allclose(ev.blur(flat, 2.0), flat)                 # a flat image stays flat (edges replicated)
    with pytest.raises(ValueError):
        ev.blur(x, -1)
    with pytest.raises(ValueError):
        ev.haze(x, 1.5)


def test_table_row_refuses_a_model_outside_the_table():
    with pytest.raises(ValueError, match="not a model of the table"):
        comparison.table_row("beta4_s0", {})
