"""course_utils.beyond (chapter 14's miniatures): each estimator on its degenerate case, and bad input."""
import math

import pytest
import torch

from course_utils import beyond, evaluation
from course_utils.models import MLPVAE


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return MLPVAE(latent=3, hidden=16).eval()


@pytest.fixture
def xb():
    return torch.bernoulli(torch.rand(6, 784, generator=torch.Generator().manual_seed(1)))


# ---------------------------------------------------------------- IWAE

def test_iwae_k1_is_the_elbo_of_the_same_draw(vae, xb):
    eps = torch.randn(6, 1, 3, generator=torch.Generator().manual_seed(2))
    lw = beyond.log_weights(vae, xb, 1, eps=eps)
    mu, logvar = vae.encode(xb)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    z = mu + torch.exp(0.5 * logvar) * eps[:, 0]
    log_px = torch.distributions.Bernoulli(logits=vae.decode_logits(z)).log_prob(xb).sum(1)
    elbo = log_px + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1) - q.log_prob(z).sum(1)
    assert torch.allclose(lw[:, 0], elbo, atol=1e-4)
    bound = torch.logsumexp(lw, 1) - math.log(1)
    assert torch.allclose(bound, elbo, atol=1e-4)


def test_log_weights_equal_evaluations_estimator_with_the_same_seed(vae, xb):
    ours = beyond.log_weights(vae, xb, 7, generator=torch.Generator().manual_seed(5)).detach()
    theirs = evaluation.iwae_log_weights(vae, xb, 7, seed=5)
    assert torch.allclose(ours, theirs, atol=1e-4)


def test_iwae_loss_is_no_larger_than_the_elbo_on_average_and_has_gradients(vae, xb):
    torch.manual_seed(0)
    out = beyond.iwae_loss(vae, xb.repeat(50, 1), k=5)
    assert float(-out["loss"].detach()) >= float(out["elbo"])          # logmeanexp >= mean, draw by draw
    out["loss"].backward()
    assert vae.fc_mu.weight.grad is not None and vae.fc3.weight.grad.abs().sum() > 0


def test_gradient_snr_decoder_rises_with_k_and_groups_are_named(vae, xb):
    low, high = beyond.gradient_snr(vae, xb, k=1, draws=30), beyond.gradient_snr(vae, xb, k=16, draws=30)
    assert high["decoder"] > low["decoder"]
    assert set(low) == {"encoder", "decoder"}


def test_iwae_bad_input(vae, xb):
    with pytest.raises(ValueError, match="binary"):
        beyond.log_weights(vae, torch.rand(2, 784), 3)
    with pytest.raises(ValueError, match="k must be"):
        beyond.log_weights(vae, xb, 0)
    with pytest.raises(ValueError, match="eps must have shape"):
        beyond.log_weights(vae, xb, 2, eps=torch.zeros(6, 3, 3))
    with pytest.raises(ValueError, match="draws"):
        beyond.gradient_snr(vae, xb, k=2, draws=1)
    with pytest.raises(ValueError, match="groups"):
        beyond.gradient_snr(beyond.TwoLevelVAE(), xb, k=2)
    from course_utils.models import ConvVAE
    with pytest.raises(ValueError, match="groups"):
        beyond.gradient_snr(ConvVAE(latent=3), xb, k=2)


# ---------------------------------------------------------------- flow posterior

def test_planar_flow_with_zero_weights_is_the_identity_with_log_det_zero():
    flow = beyond.PlanarFlow(dim=4, layers=3, n=2)
    with torch.no_grad():
        for p in flow.parameters():
            p.zero_()
    z = torch.randn(2, 5, 4)
    zk, logdet = flow(z)
    assert torch.equal(zk, z)
    assert torch.allclose(logdet, torch.zeros(2, 5), atol=1e-6)


def test_planar_flow_log_det_equals_autograd_jacobian():
    flow = beyond.PlanarFlow(dim=3, layers=2, n=1, init_std=0.8, seed=3)
    z = torch.randn(1, 1, 3)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v.view(1, 1, 3))[0].flatten(), z.flatten())
    _, logdet = flow(z)
    assert torch.allclose(logdet.flatten(), torch.linalg.slogdet(jac)[1].view(1), atol=1e-4)
    assert torch.linalg.det(jac) > 0                       # invertible: the constraint w·û >= -1 holds


def test_fitted_posteriors_raise_the_elbo_and_leave_the_model_alone(vae, xb):
    vae.fc3.bias.requires_grad_(False)                 # a parameter the caller froze stays frozen
    before = {k: v.clone() for k, v in vae.state_dict().items()}
    g = lambda: torch.Generator().manual_seed(9)   # noqa: E731
    enc = beyond.fit_posteriors(vae, xb, steps=0)
    mu, logvar = vae.encode(xb)
    assert torch.equal(enc.mu, mu.detach()) and torch.equal(enc.logvar, logvar.detach()) and enc.flow is None
    fitted = beyond.fit_posteriors(vae, xb, flow_layers=2, steps=60, lr=0.05)
    e0 = beyond.posterior_log_weights(vae, xb, enc, 400, generator=g()).mean()
    e1 = beyond.posterior_log_weights(vae, xb, fitted, 400, generator=g()).mean()
    assert e1 > e0
    assert all(torch.equal(before[k], v) for k, v in vae.state_dict().items())
    assert not vae.fc3.bias.requires_grad
    assert all(p.requires_grad for n, p in vae.named_parameters() if n != "fc3.bias")


def test_flow_bad_input(vae, xb):
    with pytest.raises(ValueError, match="shape"):
        beyond.PlanarFlow(3, 2, n=2)(torch.randn(3, 1, 3))
    with pytest.raises(ValueError, match="PlanarFlow needs"):
        beyond.PlanarFlow(0, 2)
    with pytest.raises(ValueError, match="steps"):
        beyond.fit_posteriors(vae, xb, steps=-1)
    post = beyond.fit_posteriors(vae, xb[:2], steps=0)
    with pytest.raises(ValueError, match="fitted to 2 images"):
        beyond.posterior_log_weights(vae, xb, post, 3)


# ---------------------------------------------------------------- two-level VAE

def test_hvae_terms_add_up_and_kl_is_zero_when_q_equals_the_prior(xb):
    torch.manual_seed(0)
    m = beyond.TwoLevelVAE(z1=3, z2=2, hidden=8)
    out = beyond.hvae_terms(m, xb)
    assert torch.allclose(out["loss"], out["recon"] + out["kl1"] + out["kl2"])
    mu, lv = torch.randn(4, 3), torch.randn(4, 3)
    assert torch.allclose(beyond.gaussian_kl_two(mu, lv, mu, lv), torch.zeros(4, 3), atol=1e-6)
    with torch.no_grad():                              # q(z2|x) = N(0, I) exactly: KL of level 2 is 0
        m.q2.weight.zero_()
        m.q2.bias.zero_()
    assert float(beyond.hvae_terms(m, xb)["kl2"].detach()) == pytest.approx(0.0, abs=1e-6)
    assert m.sample(5).shape == (5, 784)


def test_hvae_bad_input():
    with pytest.raises(ValueError, match="binary"):
        beyond.hvae_terms(beyond.TwoLevelVAE(), torch.rand(2, 784))
    with pytest.raises(ValueError, match="positive"):
        beyond.TwoLevelVAE(z2=0)


# ---------------------------------------------------------------- Gumbel-softmax

def test_gumbel_softmax_low_temperature_approaches_one_hot_and_follows_the_probabilities():
    logits = torch.tensor([1.0, 0.0, -1.0]).expand(20000, 3)
    g = lambda: torch.Generator().manual_seed(0)   # noqa: E731
    gaps = [float((1 - beyond.gumbel_softmax(logits, tau, generator=g()).max(1).values).mean())
            for tau in (1.0, 0.1, 0.01, 0.001)]                # mean distance of y from its nearest one-hot
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 0.002
    y = beyond.gumbel_softmax(logits, 0.001, generator=g())
    share = torch.bincount(y.argmax(1), minlength=3).float() / len(y)
    assert torch.allclose(share, torch.softmax(logits[0], 0), atol=0.015)   # argmax of log π + g ~ Cat(π)
    soft = beyond.gumbel_softmax(logits, 100.0, generator=torch.Generator().manual_seed(0))
    assert float((soft - 1 / 3).abs().mean()) < 0.01                      # high temperature: near uniform


def test_straight_through_is_one_hot_forward_and_soft_backward():
    logits = torch.randn(5, 4, requires_grad=True)
    g = lambda: torch.Generator().manual_seed(1)   # noqa: E731
    hard = beyond.gumbel_softmax(logits, 0.5, hard=True, generator=g())
    soft = beyond.gumbel_softmax(logits, 0.5, generator=g())
    assert torch.equal(hard.detach().sum(1), torch.ones(5)) and set(hard.detach().unique().tolist()) <= {0.0, 1.0}
    w = torch.randn(4)
    (gh,) = torch.autograd.grad((hard * w).sum(), logits)
    (gs,) = torch.autograd.grad((soft * w).sum(), logits)
    assert torch.allclose(gh, gs)


def test_gumbel_softmax_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        beyond.gumbel_softmax(torch.zeros(2, 3), 0.0)
    with pytest.raises(ValueError, match="categories"):
        beyond.gumbel_softmax(torch.zeros(2, 1), 1.0)


# ---------------------------------------------------------------- learned prior

def test_mixture_prior_with_one_standard_component_is_the_standard_normal():
    prior = beyond.MixturePrior(torch.zeros(1, 5), torch.zeros(1, 5))
    z = torch.randn(100, 5)
    assert torch.allclose(prior.log_prob(z), torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1), atol=1e-5)
    two = beyond.MixturePrior(torch.zeros(2, 5), torch.zeros(2, 5))      # two equal components: still the same
    assert torch.allclose(two.log_prob(z), prior.log_prob(z), atol=1e-5)


def test_fit_mixture_prior_finds_two_clusters_and_samples_them():
    g = torch.Generator().manual_seed(0)
    z = torch.cat([torch.randn(500, 2, generator=g) * 0.1 + 3, torch.randn(500, 2, generator=g) * 0.1 - 3])
    prior = beyond.fit_mixture_prior(z, 2, seed=1)
    assert sorted(prior.means[:, 0].tolist()) == pytest.approx([-3, 3], abs=0.05)
    assert torch.softmax(prior.logits, 0).tolist() == pytest.approx([0.5, 0.5], abs=0.01)
    s = prior.sample(1000, generator=g)
    assert ((s[:, 0].abs() - 3).abs() < 0.5).float().mean() > 0.99
    one = beyond.fit_mixture_prior(z, 1)
    assert prior.log_prob(z).mean() > one.log_prob(z).mean()


def test_mixture_prior_bad_input():
    with pytest.raises(ValueError, match="components"):
        beyond.fit_mixture_prior(torch.randn(5, 2), 6)
    with pytest.raises(ValueError, match="finite"):
        beyond.fit_mixture_prior(torch.full((5, 2), float("nan")), 2)
    with pytest.raises(ValueError, match="dimensions"):
        beyond.MixturePrior(torch.zeros(1, 5), torch.zeros(1, 5)).log_prob(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="logvars"):
        beyond.MixturePrior(torch.zeros(2, 5), torch.zeros(2, 4))


def test_module_imports_neither_zoo_nor_tools():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(beyond))
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if "zoo" in n or "tools" in n]


# ---------------------------------------------------------------- gradient estimators of a discrete latent

def _toy():
    g = torch.Generator().manual_seed(0)
    codebook, a = torch.randn(5, 3, generator=g), torch.randn(3, generator=g)
    z = torch.randn(3, generator=g)
    logits_fn = lambda v: -((v[..., None, :] - codebook) ** 2).sum(-1)   # noqa: E731
    f = lambda c: (c - a).pow(2).sum(-1)                                  # noqa: E731
    zl = z.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad((torch.softmax(logits_fn(zl), -1) * f(codebook)).sum(), zl)
    baseline = float((torch.softmax(logits_fn(z), -1) * f(codebook)).sum())
    return f, logits_fn, codebook, z, exact, baseline


def test_score_function_is_unbiased_vq_is_deterministic():
    f, logits_fn, codebook, z, exact, baseline = _toy()
    G = beyond.discrete_gradient_draws(f, logits_fn, codebook, z, "score function", 20000, baseline=baseline,
                                       generator=torch.Generator().manual_seed(1))
    bv = beyond.bias_and_variance(G, exact)
    assert abs(bv["bias2"]) < 4 * bv["noise"] + 1e-6
    vq = beyond.discrete_gradient_draws(f, logits_fn, codebook, z, "vq", 20)
    assert torch.equal(vq[0], vq[1]) and beyond.bias_and_variance(vq, exact)["variance"] == 0
    k = int(logits_fn(z).argmax())                                 # VQ: the gradient of f at the nearest code
    assert torch.allclose(vq[0], 2 * (codebook[k] - _a(f)), atol=1e-5)


def _a(f):
    # recover a from f(c) = ||c - a||^2: a = -grad f(0) / 2
    c = torch.zeros(3, requires_grad=True)
    (g,) = torch.autograd.grad(f(c[None])[0], c)
    return -g / 2


def test_gumbel_softmax_variance_falls_with_temperature_and_bias_and_variance_are_right():
    f, logits_fn, codebook, z, exact, _ = _toy()
    var = [beyond.bias_and_variance(beyond.discrete_gradient_draws(
        f, logits_fn, codebook, z, "gumbel-softmax", 2000, tau=t, generator=torch.Generator().manual_seed(2)),
        exact)["variance"] for t in (0.1, 1.0, 10.0)]
    assert var[0] > var[1] > var[2]
    offset = torch.tensor([0.5, 0.0, 0.0])
    G = exact + offset + 0.1 * torch.randn(5000, 3, generator=torch.Generator().manual_seed(3))
    bv = beyond.bias_and_variance(G, exact)
    assert bv["bias2"] == pytest.approx(0.25, abs=0.01) and bv["variance"] == pytest.approx(0.03, rel=0.1)
    assert 0 < bv["bias2_se"] < 0.01 and 0 < bv["variance_se"] < 0.003          # Var of a sample variance: 2σ⁴/n


def test_discrete_gradient_bad_input():
    f, logits_fn, codebook, z, exact, _ = _toy()
    with pytest.raises(ValueError, match="kind"):
        beyond.discrete_gradient_draws(f, logits_fn, codebook, z, "reinforce", 10)
    with pytest.raises(ValueError, match="codebook"):
        beyond.discrete_gradient_draws(f, logits_fn, codebook, torch.zeros(4), "vq", 10)
    with pytest.raises(ValueError, match="draws"):
        beyond.bias_and_variance(torch.zeros(1, 3), exact)
    with pytest.raises(ValueError, match="batches"):
        beyond.bias_and_variance(torch.zeros(10, 3), exact, batches=6)
