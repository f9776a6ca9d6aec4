"""course_utils.applications (chapter 13): anomaly scores, complexity, masks and imputation, on small cases whose
answer is known, plus the clear errors for bad input."""
from __future__ import annotations

import math

import pytest
import torch

from course_utils import applications as app
from course_utils.models import Autoencoder, MLPVAE


def _images(n=4, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def _binary(n=4, seed=0):
    return torch.bernoulli(_images(n, seed), generator=torch.Generator().manual_seed(seed + 1))


def _vae(seed=0, latent=3):
    torch.manual_seed(seed)
    return MLPVAE(latent=latent, hidden=8).eval()


def test_squared_error_is_the_sum_over_pixels_and_zero_for_a_perfect_copy():
    x = _images()
    assert torch.allclose(app.squared_error(lambda t: t, x), torch.zeros(4))
    assert torch.allclose(app.squared_error(lambda t: torch.zeros_like(t), x), x.pow(2).flatten(1).sum(1))
    ae = Autoencoder(code_size=2, hidden=4).eval()
    assert app.squared_error(ae, x).shape == (4,)


@pytest.mark.parametrize("bad,phrase", [(torch.rand(4, 784), "shape"), (torch.rand(4, 1, 28, 28) * 2, "[0, 1]")])
def test_bad_images_get_a_clear_error(bad, phrase):
    with pytest.raises(ValueError, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        app.squared_error(lambda t: t, bad)


def test_iwae_is_at_least_the_elbo_and_equal_with_one_draw():
    vae, x = _vae(), _binary()
    elbo, iwae = app.elbo_and_iwae(vae, x, k=20)
    assert (iwae >= elbo - 1e-5).all()
    elbo1, iwae1 = app.elbo_and_iwae(vae, x, k=1)
    assert torch.allclose(elbo1, iwae1)
    with pytest.raises(ValueError, match="binary"):
        app.elbo_and_iwae(vae, _images())


def test_cb_log_weights_are_exact_when_q_is_the_prior_and_the_decoder_ignores_z():
    """Degenerate case: q(z|x) = p(z) = N(0, I) and p(x|z) does not depend on z, so every log-weight is log p(x)."""
    vae, x = _vae(latent=2), _images(3)
    with torch.no_grad():
        for layer in (vae.fc_mu, vae.fc_logvar, vae.fc2):
            layer.weight.zero_()
        vae.fc_mu.bias.zero_()
        vae.fc_logvar.bias.zero_()
    logits = vae.decode_logits(torch.zeros(1, 2))
    cb = torch.distributions.ContinuousBernoulli(logits=logits, validate_args=False)
    exact = cb.log_prob(x.flatten(1)).sum(1).detach()
    log_w = app.cb_log_weights(vae, x, k=5)
    assert torch.allclose(log_w, exact[:, None].expand(3, 5), atol=1e-4)
    with pytest.raises(ValueError, match="k must be"):
        app.cb_log_weights(vae, x, k=0)


def test_cb_log_density_equals_torch_in_float64_and_at_the_limit():
    eta = torch.cat([torch.linspace(-30, 30, 2001, dtype=torch.float64), torch.tensor([0.0, 1e-5, -2e-4],
                                                                                      dtype=torch.float64)])
    x = torch.rand(eta.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = torch.distributions.ContinuousBernoulli(logits=eta, validate_args=False).log_prob(x)
    assert torch.allclose(app.cb_log_density(eta, x), ref, atol=1e-4)
    assert float(app.cb_log_density(torch.zeros(1), torch.tensor([0.3]))) == pytest.approx(0.0, abs=1e-6)  # uniform
    with pytest.raises(ValueError, match="0, 1"):
        app.cb_log_density(torch.zeros(2), torch.tensor([0.5, 1.5]))


def test_cb_iwae_is_at_least_the_elbo():
    log_w = app.cb_log_weights(_vae(), _images(3), k=30)
    assert (torch.logsumexp(log_w, 1) - math.log(30) >= log_w.mean(1) - 1e-5).all()


def test_zero_share_and_compression_rank_simple_images_as_simple():
    blank = torch.zeros(1, 1, 28, 28)
    noise = _images(1)
    assert float(app.zero_share(blank)) == 1.0 and float(app.zero_share(noise)) < 0.01
    assert float(app.compressed_bits(blank)) < float(app.compressed_bits(noise)) / 10


def test_density_code_length_and_complexity_score():
    assert float(app.density_code_length_bits(torch.tensor([0.0]))) == 784 * 8
    assert torch.allclose(app.density_code_length_bits(torch.tensor([math.log(2)])), torch.tensor([6273.0],
                                                                                                  dtype=torch.float64))
    s = app.complexity_corrected_score(torch.tensor([10.0, 5.0]), torch.tensor([4.0, 5.0]))
    assert s.tolist() == [6.0, 0.0]
    with pytest.raises(ValueError, match="one number per image"):
        app.complexity_corrected_score(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="n_pixels"):
        app.density_code_length_bits(torch.zeros(1), n_pixels=0)


def test_masks_fill_and_the_error_on_missing_pixels():
    m = app.half_mask(2, "bottom")
    assert m.dtype == torch.bool and int(m[0].sum()) == 392 and not m[:, :, :14].any()
    assert not app.random_mask(3, 0.0).any() and app.random_mask(3, 1.0).all()
    x = _images(2)
    before = x.clone()
    filled = app.fill(x, m, torch.tensor(0.25))
    assert torch.equal(x, before)                                   # never in place
    assert torch.equal(filled[~m], x[~m]) and (filled[m] == 0.25).all()
    wrong_outside = filled.clone()
    wrong_outside[~m] = 1 - wrong_outside[~m]                       # errors on observed pixels do not count
    assert torch.allclose(app.missing_error(wrong_outside, x, m), app.missing_error(filled, x, m))
    assert torch.allclose(app.missing_error(x, x, m), torch.zeros(2))
    with pytest.raises(ValueError, match="no missing pixel"):
        app.missing_error(x, x, torch.zeros_like(m))
    with pytest.raises(ValueError, match="bool"):
        app.fill(x, m.float(), 0.0)
    with pytest.raises(ValueError, match="side"):
        app.half_mask(2, "middle")
    with pytest.raises(ValueError, match="p must"):
        app.random_mask(2, 1.5)


@pytest.mark.parametrize("method", ["pseudo-gibbs", "metropolis"])
def test_impute_keeps_observed_pixels_and_reports_acceptance(method):
    vae, x = _vae(), _binary(3)
    m = app.half_mask(3, "top")
    out = app.impute(vae, x, m, steps=10, method=method, seed=0)
    for t in (out.estimate, out.completion):
        assert torch.equal(t[~m], x[~m]) and t.min() >= 0 and t.max() <= 1
    assert 0 <= out.accept_rate <= 1
    if method == "pseudo-gibbs":
        assert out.accept_rate == 1.0
    again = app.impute(vae, x, m, steps=10, method=method, seed=0)
    assert torch.equal(again.estimate, out.estimate)               # seeded


def test_impute_refuses_bad_input():
    vae, x, m = _vae(), _binary(2), app.half_mask(2)
    with pytest.raises(ValueError, match="binary"):
        app.impute(vae, _images(2), m)
    with pytest.raises(ValueError, match="method"):
        app.impute(vae, x, m, method="gibbs")
    with pytest.raises(ValueError, match="steps"):
        app.impute(vae, x, m, steps=1)
    with pytest.raises(ValueError, match="start"):
        app.impute(vae, x, m, start=2.0)


def test_iterate_reconstruction_with_the_identity_keeps_the_start():
    x, m = _images(2), app.half_mask(2)
    out = app.iterate_reconstruction(lambda t: t, x, m, start=torch.tensor(0.5), steps=3)
    assert (out[m] == 0.5).all() and torch.equal(out[~m], x[~m])


def test_label_draw_takes_per_class_examples_of_every_class():
    y = torch.arange(10).repeat(5)
    idx = app.label_draw(y, per_class=3, seed=0)
    assert len(idx) == 30 and torch.bincount(y[idx]).tolist() == [3] * 10
    assert not torch.equal(idx, app.label_draw(y, per_class=3, seed=1))
    with pytest.raises(ValueError, match="fewer than per_class"):
        app.label_draw(y, per_class=6, seed=0)


def _one_latent_vae(pixels: list[int], slopes: list[float]) -> MLPVAE:
    """A hand-made VAE with one latent: logit_i = slope_i * z on `pixels` (0 elsewhere); q(z|x) = N(0.5 + 1.5 x_7, 1),
    a proposal that depends on pixel 7 (the one the test hides) and is off-centre."""
    vae = MLPVAE(latent=1, hidden=2)
    with torch.no_grad():
        for p in vae.parameters():
            p.zero_()
        vae.fc2.weight[:, 0] = torch.tensor([1.0, -1.0])          # hidden = (relu(z), relu(-z))
        for i, c in zip(pixels, slopes):
            vae.fc3.weight[i] = torch.tensor([c, -c])             # logit_i = c (relu(z) - relu(-z)) = c z
        vae.fc1.weight[0, 7] = 1.0                                # encoder hidden unit 0 = x_7
        vae.fc_mu.weight[0, 0] = 1.5
        vae.fc_mu.bias.fill_(0.5)
    return vae.eval()


def test_metropolis_within_gibbs_samples_the_true_conditional_of_a_missing_pixel():
    """Exact answer by quadrature over the one latent: P(x_j = 1 | x_obs) = E[sigmoid(c_j z) | x_obs]."""
    pixels, slopes = list(range(8)), [1.5, -1.0, 2.0, 0.5, -1.5, 1.0, 0.8, 2.5]
    vae = _one_latent_vae(pixels, slopes)
    x = torch.zeros(1, 1, 28, 28)
    x.view(-1)[:8] = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    j = 7                                                         # the missing pixel
    z = torch.linspace(-10, 10, 40001, dtype=torch.float64)
    c = torch.tensor(slopes, dtype=torch.float64)
    logits = z[:, None] * c[None]
    obs = [i for i in pixels if i != j]
    log_w = (x.view(-1)[obs].double() * logits[:, obs] - torch.nn.functional.softplus(logits[:, obs])).sum(1) - z ** 2 / 2
    w = (log_w - log_w.max()).exp()
    exact = float((w * torch.sigmoid(logits[:, j])).sum() / w.sum())
    missing = torch.zeros(1, 1, 28, 28, dtype=torch.bool)
    missing.view(-1)[j] = True
    chains = 600
    run = app.impute(vae, x.repeat(chains, 1, 1, 1), missing.repeat(chains, 1, 1, 1), steps=100, seed=0)
    estimate = float(run.estimate.view(chains, -1)[:, j].mean())
    assert 0.2 < run.accept_rate < 0.95
    assert abs(estimate - exact) < 0.01, (estimate, exact)
