"""course_utils.vq: quantisation, straight-through gradient, EMA and restarts, the VQ-VAE, the prior, the metrics."""
from __future__ import annotations

import math

import pytest
import torch

from course_utils import vq, zoo


def test_nearest_code_is_the_argmin_of_the_distance_and_checks_shapes():
    g = torch.Generator().manual_seed(0)
    z, cb = torch.randn(100, 5, generator=g), torch.randn(9, 5, generator=g)
    assert torch.equal(vq.nearest_code(z, cb), torch.cdist(z, cb).argmin(1))
    with pytest.raises(ValueError, match="flatten"):
        vq.nearest_code(torch.randn(2, 5, 3, 3), cb)


def test_straight_through_forwards_z_q_and_passes_the_gradient_unchanged():
    z_e, z_q = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    out = vq.straight_through(z_e, z_q)
    assert torch.allclose(out, z_q)
    up = torch.randn(4, 3)
    out.backward(up)
    assert torch.allclose(z_e.grad, up) and z_q.grad is None


def test_usage_perplexity_and_dead_codes_on_hand_made_cases():
    assert vq.perplexity(torch.arange(8).repeat(3), 8) == pytest.approx(8)
    assert vq.perplexity(torch.full((10,), 2), 8) == pytest.approx(1)
    assert vq.perplexity(torch.tensor([0, 0, 0, 1]), 4) == pytest.approx(math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25))))
    assert vq.dead_codes(torch.tensor([[0, 1], [1, 3]]), 6) == 3
    assert vq.usage(torch.tensor([0, 1, 1]), 3).tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="0..2"):
        vq.usage(torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="at least one"):
        vq.perplexity(torch.tensor([], dtype=torch.long), 3)


def test_quantizer_losses_and_gradients_go_where_they_should():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(K=8, D=4).eval()
    z = torch.randn(2, 4, 3, 3, requires_grad=True)
    out = q(z)
    assert out["z_q"].shape == z.shape and out["indices"].shape == (2, 3, 3)
    flat = z.detach().permute(0, 2, 3, 1).reshape(-1, 4)
    want = q.codebook.detach()[torch.cdist(flat, q.codebook.detach()).argmin(1)]
    assert torch.allclose(out["z_q"].detach().permute(0, 2, 3, 1).reshape(-1, 4), want, atol=1e-6)
    assert torch.allclose(out["commit"], ((flat - want) ** 2).sum() / 2)
    out["commit"].backward(retain_graph=True)
    assert q.codebook.grad is None and z.grad is not None          # commitment: encoder only
    z.grad = None
    out["codebook"].backward()
    assert z.grad is None and q.codebook.grad is not None           # codebook loss: codes only


def test_ema_moves_codes_to_the_mean_of_their_vectors_in_training_only():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(K=2, D=1, ema=True, decay=0.5)
    q.codebook.data = torch.tensor([[-1.0], [1.0]])
    q.ema_sum.copy_(q.codebook.data)
    z = torch.tensor([-3.0, -2.0, 2.0, 4.0]).view(4, 1, 1, 1)
    q.eval()
    q(z)
    assert torch.equal(q.codebook.data, torch.tensor([[-1.0], [1.0]]))
    q.train()
    for _ in range(30):
        q(z)
    assert torch.allclose(q.codebook.data.squeeze(), torch.tensor([-2.5, 3.0]), atol=1e-3)
    assert not q.codebook.requires_grad


def _offset_outputs(g: torch.Generator, B: int = 8, D: int = 16) -> torch.Tensor:
    """Encoder-like outputs far from a fresh codebook: norm about 8, against the codes' 0.04."""
    return torch.randn(B, D, 7, 7, generator=g) * 0.3 + 2.0


def test_ema_from_a_fresh_default_moves_used_codes_to_their_mean_and_leaves_unused_codes_in_place():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(ema=True).train()                        # the defaults: K=64, D=16, decay 0.99
    start = q.codebook.detach().clone()
    g = torch.Generator().manual_seed(1)
    z = _offset_outputs(g)
    flat = z.permute(0, 2, 3, 1).reshape(-1, q.D)
    idx = vq.nearest_code(flat, start)
    counts = vq.usage(idx, q.K)
    used = counts > 0
    assert 0 < int(used.sum()) < q.K // 2                            # most codes get no vector: the case that broke
    q(z)
    cb = q.codebook.detach()
    out_norm = flat.norm(dim=1).max()
    assert cb.norm(dim=1).max() <= out_norm                          # no code leaves the region of the data
    # an unused code keeps its place: count and sum shrink by the same factor (Laplace eps: relative 1e-5)
    assert torch.allclose(cb[~used], start[~used], rtol=1e-4, atol=0)
    # a used code: one pseudo-vector at its old place plus its vectors, weighted by the EMA
    sums = torch.zeros_like(start).index_add_(0, idx, flat)
    want = (0.99 * start + 0.01 * sums) / (0.99 + 0.01 * counts.float()).unsqueeze(1)
    assert torch.allclose(cb[used], want[used], rtol=1e-4)
    mean = sums[used] / counts[used].float().unsqueeze(1)
    assert ((cb[used] - mean).norm(dim=1) < 0.25 * (start[used] - mean).norm(dim=1)).all()   # most of the way
    for _ in range(99):
        q(_offset_outputs(g))
    cb = q.codebook.detach()
    assert cb.norm(dim=1).max() <= out_norm * 1.1
    never = q.ema_count < 0.99 ** 100 * 1.0001                      # codes no vector ever reached in 100 steps
    assert never.sum() > q.K // 2
    assert torch.allclose(cb[never], start[never], rtol=1e-3, atol=0)


def test_ema_unused_codes_shrink_towards_the_origin_once_their_count_falls_below_eps():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(K=8, D=4, ema=True, decay=0.5).train()    # fast decay: 0.5**40 << eps
    start = q.codebook.detach().clone()
    z = torch.full((2, 4, 3, 3), 5.0)                                 # every vector goes to one code
    k = int(vq.nearest_code(z[:1, :, 0, 0], start))
    unused = torch.arange(8) != k
    norms = [start[unused].norm(dim=1)]
    for _ in range(40):
        q(z)
        norms.append(q.codebook.detach()[unused].norm(dim=1))
    norms = torch.stack(norms)
    assert (norms[1:] <= norms[:-1] * (1 + 1e-5)).all()              # never away from the origin
    assert (norms[-1] < 1e-3 * norms[0]).all()                        # ... and, once N_k << eps, at it
    assert torch.allclose(q.codebook.detach()[k], torch.full((4,), 5.0), rtol=1e-4)


def test_fresh_ema_vqvae_keeps_every_code_near_the_data_after_one_step():
    torch.manual_seed(0)
    m = vq.VQVAE(ema=True).train()
    start = m.quantizer.codebook.detach().clone()
    x = torch.rand(64, 1, 28, 28)
    with torch.no_grad():
        out = m.forward_all(x)
    z_norm = out["z_e"].permute(0, 2, 3, 1).reshape(-1, m.quantizer.D).norm(dim=1).max()
    assert m.quantizer.codebook.detach().norm(dim=1).max() <= max(z_norm, start.norm(dim=1).max())


def test_ema_codebook_loss_is_zero_and_the_codebook_gets_no_gradient():
    torch.manual_seed(0)
    m = vq.VQVAE(K=8, D=4, hidden=8, ema=True).train()
    terms = vq.vq_loss(m, torch.rand(4, 1, 28, 28), beta=0.25)
    assert terms["codebook"].item() == 0.0 and terms["commit"].item() > 0
    assert torch.allclose(terms["loss"], terms["recon"] + 0.25 * terms["commit"])
    terms["loss"].backward()
    assert m.quantizer.codebook.grad is None and m.encoder[0].weight.grad is not None


def test_restart_with_ema_puts_a_revived_code_on_its_output_with_a_count_of_one():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(K=4, D=2, ema=True, restart_every=1).train()
    z = torch.randn(2, 2, 2, 2) + 3.0
    flat = z.permute(0, 2, 3, 1).reshape(-1, 2)
    # the codes no output is nearest to in this step, found before the step (a used code that gets exactly one
    # vector also ends with a count near 1, so the count cannot tell which codes were revived)
    unused = vq.usage(vq.nearest_code(flat, q.codebook.detach().clone()), 4) == 0
    revived = unused.nonzero().squeeze(1)
    assert len(revived) > 0
    q(z)
    assert int(q.restarts) == len(revived)
    for k in revived:
        assert (q.codebook.data[k] - flat).norm(dim=1).min() < 1e-6
        assert torch.equal(q.ema_sum[k], q.codebook.data[k])
        assert q.ema_count[k] == 1.0


def test_restart_moves_unused_codes_onto_encoder_outputs():
    torch.manual_seed(0)
    q = vq.VectorQuantizer(K=4, D=2, restart_every=1).train()
    q.codebook.data = torch.tensor([[0.0, 0.0], [50.0, 50.0], [60.0, 60.0], [70.0, 70.0]])
    z = torch.randn(3, 2, 2, 2)
    q(z)
    assert int(q.restarts) == 3
    flat = z.permute(0, 2, 3, 1).reshape(-1, 2)
    for k in (1, 2, 3):
        assert (q.codebook.data[k] - flat).norm(dim=1).min() < 1e-6


def test_vqvae_shapes_codes_and_decoding():
    torch.manual_seed(0)
    m = vq.VQVAE(K=16, D=4, hidden=8).eval()
    x = torch.rand(3, 1, 28, 28)
    assert m(x).shape == (3, 1, 28, 28)
    codes = m.codes(x)
    assert codes.shape == (3, 7, 7) and codes.max() < 16
    assert torch.allclose(m.decode_indices(codes), m(x), atol=1e-6)
    terms = vq.vq_loss(m, x)
    assert set(terms) == {"loss", "recon", "codebook", "commit", "perplexity"}
    assert torch.allclose(terms["loss"], terms["recon"] + terms["codebook"] + 0.25 * terms["commit"])
    with pytest.raises(ValueError, match="28, 28"):
        m(torch.rand(3, 28, 28))


def test_masked_prior_is_causal_in_raster_order():
    torch.manual_seed(0)
    p = vq.CodePrior(K=5, channels=8, layers=3).eval()
    grid = torch.randint(0, 5, (1, 7, 7))
    base = p(grid)
    for i, j in [(0, 0), (3, 4), (6, 6)]:
        changed = grid.clone()
        changed[0, i, j] = (changed[0, i, j] + 1) % 5
        diff = (p(changed) - base).abs().sum(1)[0]
        flat = diff.reshape(-1)
        pos = i * 7 + j
        assert flat[:pos + 1].max() < 1e-6      # positions up to and including (i, j) do not see it
    s = p.sample(4, torch.Generator().manual_seed(0))
    assert s.shape == (4, 7, 7) and s.max() < 5
    assert vq.prior_loss(p, s)["loss"] > 0
    with pytest.raises(ValueError, match="'A'"):
        vq.MaskedConv2d("C", 1, 1, 3)


def test_zoo_knows_the_vq_models_and_losses():
    assert zoo.MODELS["VQVAE"] is vq.VQVAE and zoo.MODELS["CodePrior"] is vq.CodePrior
    torch.manual_seed(0)
    m = vq.VQVAE(K=8, D=2, hidden=4)
    x = torch.rand(5, 1, 28, 28)
    a, b = zoo.LOSSES["vq_beta0"](m.eval(), x), zoo.LOSSES["vq_beta2"](m, x)
    assert torch.allclose(a["loss"], a["recon"] + a["codebook"])
    assert torch.allclose(b["loss"], b["recon"] + b["codebook"] + 2 * b["commit"])
    assert zoo.recipe("vq_prior").data.dataset == "codes:vqvae_restart_s0"


@pytest.mark.skipif(zoo.status("vqvae_restart_s0") != "ok", reason="vqvae_restart_s0 is not committed")
def test_prior_data_are_the_codes_of_the_committed_vqvae():
    d = zoo.load_data("vq_prior")
    m, images = zoo.load("vqvae_restart_s0", verbose=False), zoo.load_data("vqvae_restart_s0")
    assert d.x_train.shape == (8000, 7, 7) and d.x_train.dtype == torch.long
    assert torch.equal(d.x_test, m.codes(images.x_test))
