"""course_utils.generative: the GAN and DDPM of chapter 14, on their degenerate cases and bad input."""
import math

import pytest
import torch

from course_utils import generative as gen


@pytest.fixture
def digits():
    torch.manual_seed(0)
    return (torch.rand(8, 1, 28, 28) * 255).round() / 255   # 8-bit grey values, like the course's MNIST


def test_schedule_is_monotone_and_in_range():
    betas = gen.linear_betas(1000)
    ab = torch.cumprod(1 - betas, 0)
    assert torch.all(betas > 0) and torch.all(betas < 1)
    assert torch.all(betas[1:] > betas[:-1])
    assert torch.all(ab[1:] < ab[:-1]) and ab[0] < 1 and ab[-1] < 1e-4   # the signal is gone at t = T
    with pytest.raises(ValueError, match="beta_1"):
        gen.linear_betas(10, 0.5, 0.1)
    with pytest.raises(ValueError, match="T must"):
        gen.linear_betas(0)


def test_q_sample_at_t0_and_tT(digits):
    model = gen.DDPM(hidden=8)
    x0 = digits.flatten(1) * 2 - 1
    noise = torch.randn_like(x0)
    assert torch.equal(model.q_sample(x0, torch.zeros(8, dtype=torch.long), noise), x0)   # t = 0: x_0 itself
    x_T = model.q_sample(x0, torch.full((8,), model.T), noise)
    assert (x_T - noise).abs().max() < 0.01   # t = T: almost pure noise (√ᾱ_T < 0.007)
    # the closed form's mean and variance, from many draws of one image
    many = model.q_sample(x0[:1].repeat(20000, 1), torch.full((20000,), 300))
    ab = float(model.alpha_bar[299])
    assert torch.allclose(many.mean(0), math.sqrt(ab) * x0[0], atol=0.03)
    assert abs(float(many.var(0).mean()) - (1 - ab)) < 0.02


def test_loss_is_zero_for_a_perfect_predictor(digits):
    model = gen.DDPM(hidden=8)
    noise, t = torch.randn(8, 784), torch.randint(1, model.T + 1, (8,))
    model.eps = lambda x_t, t_: noise          # a predictor that knows the noise
    assert float(gen.ddpm_loss(model, digits, t, noise)["loss"]) == 0.0
    model.eps = lambda x_t, t_: torch.zeros_like(x_t)   # predicting nothing costs ‖ε‖² ≈ 784
    assert float(gen.ddpm_loss(model, digits, t, noise)["loss"]) == pytest.approx(float(noise.pow(2).sum(1).mean()))


def test_respacing_and_sampler_shapes_and_calls():
    model = gen.DDPM(hidden=8)
    for steps in (1, 5, 50, 1000):
        taus, betas = gen.respace(model.alpha_bar, steps)
        assert len(taus) == steps and int(taus[-1]) == model.T and torch.all(taus[1:] > taus[:-1])
        assert torch.all(betas > 0) and torch.all(betas < 1)
        # the respaced chain keeps the same signal level at each kept timestep
        assert torch.allclose(torch.cumprod(1 - betas, 0), model.alpha_bar[taus - 1])
    assert torch.allclose(gen.respace(model.alpha_bar, 1000)[1], model.betas)   # all steps: the original chain
    before = model.network_calls
    x = model.sample(3, steps=7, generator=torch.Generator().manual_seed(0))
    assert x.shape == (3, 1, 28, 28) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert model.network_calls - before == 7
    for bad in (0, 1001, 2.5):
        with pytest.raises(ValueError, match="steps"):
            model.sample(2, steps=bad)


def test_bits_per_dim_is_finite_and_positive_and_counts_units(digits):
    model = gen.DDPM(hidden=8)
    bpd = model.bits_per_dim(digits, draws=2)
    assert bpd.shape == (8,) and torch.all(torch.isfinite(bpd)) and torch.all(bpd > 0)
    # an untrained model cannot beat 8 bits per pixel of uniform noise by much; it is a bound in bits per pixel
    assert float(bpd.mean()) > 1


def test_gan_players_get_only_their_own_gradients(digits):
    torch.manual_seed(0)
    model = gen.GAN(latent=4, width=8)
    terms = gen.gan_loss(model, digits)
    d_params = list(model.discriminator.parameters())
    g_params = list(model.generator.parameters())
    g_of_d = torch.autograd.grad(terms["d_loss"], g_params, allow_unused=True)
    d_of_g = torch.autograd.grad(terms["g_loss"], d_params, allow_unused=True, retain_graph=True)
    assert all(g is None for g in g_of_d)      # the discriminator's loss never reaches the generator
    assert all(g is None for g in d_of_g)      # the generator's loss never reaches the discriminator
    assert all(g is not None for g in torch.autograd.grad(terms["g_loss"], g_params))
    # a discriminator that outputs 0 (probability 1/2) everywhere: d_loss = 2 ln 2, g_loss = ln 2
    for p in model.discriminator.parameters():
        p.data.zero_()
    terms = gen.gan_loss(model, digits)
    assert float(terms["d_loss"].detach()) == pytest.approx(2 * math.log(2))
    assert float(terms["g_loss"].detach()) == pytest.approx(math.log(2))


def test_gan_sample_shapes_and_mode():
    model = gen.GAN(latent=4, width=8).train()
    x = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 1, 28, 28) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert model.training   # sample() restores the mode it found


def test_bad_input_errors(digits):
    model, gan = gen.DDPM(hidden=8), gen.GAN(latent=4, width=8)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gen.ddpm_loss(model, digits * 2 - 1)
    with pytest.raises(ValueError, match="shape"):
        gen.ddpm_loss(model, torch.rand(4, 1, 32, 32))
    with pytest.raises(TypeError, match="float"):
        gen.gan_loss(gan, (digits * 255).to(torch.uint8))
    with pytest.raises(ValueError, match="t must"):
        model.q_sample(digits.flatten(1), torch.full((8,), model.T + 1))
    with pytest.raises(ValueError, match="t ≥ 1"):
        gen.ddpm_loss(model, digits, torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match="z must"):
        gan.decode(torch.randn(3, 5))
    with pytest.raises(ValueError, match="n must"):
        gan.sample(0)


def test_bits_per_dim_of_a_one_step_model_by_hand(digits):
    """T = 1: the bound is L_T + L_0 only; with ε_θ ≡ 0 both have a closed form to check against."""
    model = gen.DDPM(hidden=8, T=1)
    model.eps = lambda x_t, t: torch.zeros_like(x_t)
    x0 = (digits.flatten(1) * 2 - 1).double()
    beta = float(model.betas[0])
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x1 = math.sqrt(1 - beta) * x0 + math.sqrt(beta) * noise
    mean, std = x1 / math.sqrt(1 - beta), math.sqrt(beta)
    normal = torch.distributions.Normal(0.0, 1.0)
    upper = torch.where(x0 > 1 - 1e-6, torch.tensor(math.inf, dtype=torch.float64), (x0 + 1 / 255 - mean) / std)
    lower = torch.where(x0 < -1 + 1e-6, torch.tensor(-math.inf, dtype=torch.float64), (x0 - 1 / 255 - mean) / std)
    l0 = -(normal.cdf(upper) - normal.cdf(lower)).clamp_min(1e-12).log().sum(1)
    m, v = math.sqrt(1 - beta) * x0, beta
    lt = 0.5 * (m.pow(2) + v - 1 - math.log(v)).sum(1)
    want = (l0 + lt) / (784 * math.log(2))
    assert torch.allclose(model.bits_per_dim(digits, seed=0).double(), want, rtol=1e-5)


def test_bits_per_dim_middle_term_against_torch_kl(digits):
    """T = 2: the bound's one middle term L_1 = KL(q(x_1|x_2, x_0) || p_θ(x_1|x_2)), checked with torch's KL of Normals."""
    model = gen.DDPM(hidden=8, T=2)
    model.eps = lambda x_t, t: torch.zeros_like(x_t)    # then μ_θ(x_2, 2) = x_2 / √(1 − β_2)
    got = model.bits_per_dim(digits, draws=1, seed=0).double() * 784 * math.log(2)
    x0 = (digits.flatten(1) * 2 - 1).double()
    b1, b2 = (float(b) for b in model.betas)
    a1, a2 = 1 - b1, (1 - b1) * (1 - b2)
    g = torch.Generator().manual_seed(0)
    t = torch.randint(2, 3, (8,), generator=g)           # the draws bits_per_dim makes, in its order
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    x2 = math.sqrt(a2) * x0 + math.sqrt(1 - a2) * noise
    q_mean = (math.sqrt(a1) * b2 / (1 - a2)) * x0 + (math.sqrt(1 - b2) * (1 - a1) / (1 - a2)) * x2
    q_var = b2 * (1 - a1) / (1 - a2)
    q = torch.distributions.Normal(q_mean, math.sqrt(q_var))
    p = torch.distributions.Normal(x2 / math.sqrt(1 - b2), math.sqrt(b2))
    middle = torch.distributions.kl_divergence(q, p).sum(1)
    # the rest (L_T and L_0) by the T = 1 formulas, with the next draws of the same generator
    noise0 = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    x1 = math.sqrt(a1) * x0 + math.sqrt(b1) * noise0
    mean, std = x1 / math.sqrt(1 - b1), math.sqrt(b1)
    normal = torch.distributions.Normal(0.0, 1.0)
    upper = torch.where(x0 > 1 - 1e-6, torch.tensor(math.inf, dtype=torch.float64), (x0 + 1 / 255 - mean) / std)
    lower = torch.where(x0 < -1 + 1e-6, torch.tensor(-math.inf, dtype=torch.float64), (x0 - 1 / 255 - mean) / std)
    l0 = -(normal.cdf(upper) - normal.cdf(lower)).clamp_min(1e-12).log().sum(1)
    lt = 0.5 * (a2 * x0.pow(2) + (1 - a2) - 1 - math.log(1 - a2)).sum(1)
    assert torch.allclose(got, lt + middle + l0, rtol=1e-4)
