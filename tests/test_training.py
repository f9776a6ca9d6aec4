import math

import pytest
import torch

from course_utils import losses
from course_utils.losses import bce_logits_per_image, bce_per_image, gaussian_kl, mse_per_image
from course_utils.models import MLPVAE, Autoencoder
from course_utils.training import TrainingDiverged, encode_all, evaluate, fit, setup


def _mse(m, x):
    return mse_per_image(m(x), x)


def test_fit_learns_on_real_digits_and_records_every_term(mnist):
    setup(seed=0)
    model = Autoencoder(code_size=16)

    def loss_fn(m, x):
        rec = mse_per_image(m(x), x)
        l1 = m.encoder(x.flatten(1)).abs().mean()
        return {"loss": rec + 0.01 * l1, "recon": rec, "l1": l1}

    h = fit(model, loss_fn, mnist.x_train, epochs=3, x_val=mnist.x_test, progress=False)
    assert set(h) == {"loss", "recon", "l1", "val_loss", "val_recon", "val_l1"}
    assert all(len(v) == 3 for v in h.values())
    assert h["loss"][-1] < 0.7 * h["loss"][0]
    assert not model.training, "fit leaves the model in eval mode"


def test_same_seed_same_history(mnist):
    runs = []
    for _ in range(2):
        setup(seed=1)
        runs.append(fit(Autoencoder(8), _mse, mnist.x_train[:500], epochs=2, seed=1, progress=False))
    assert runs[0] == runs[1]


def test_labels_are_passed_with_the_batch(mnist):
    seen = []

    def loss_fn(m, x, y):
        seen.append((len(x), len(y)))
        return mse_per_image(m(x), x)

    fit(Autoencoder(4), loss_fn, mnist.x_train[:300], mnist.y_train[:300], batch_size=128, epochs=1, progress=False)
    assert seen == [(128, 128), (128, 128), (44, 44)]


def test_nan_loss_stops_with_epoch_and_step():
    model = torch.nn.Linear(4, 1)
    calls = {"n": 0}

    def loss_fn(m, x):
        calls["n"] += 1
        out = m(x).pow(2).mean()
        return out * float("nan") if calls["n"] == 5 else out

    with pytest.raises(TrainingDiverged, match=r"(?s)epoch 2, step 1.*learning rate"):
        fit(model, loss_fn, torch.randn(64, 4), epochs=3, batch_size=16, progress=False)


def test_infinite_loss_is_caught_too():
    with pytest.raises(TrainingDiverged, match="inf"):
        fit(torch.nn.Linear(2, 1), lambda m, x: m(x).sum() * float("inf"), torch.ones(8, 2), progress=False)


def test_bad_arguments_are_refused():
    m = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="positive"):
        fit(m, lambda m, x: m(x).sum(), torch.ones(4, 2), epochs=0)
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        fit(m, lambda m, x, y: m(x).sum(), torch.ones(4, 2), torch.ones(3))
    with pytest.raises(KeyError, match="'loss'"):
        fit(m, lambda m, x: {"recon": m(x).sum()}, torch.ones(4, 2), progress=False)
    with pytest.raises(ValueError, match="threads"):
        setup(threads=0)


def test_evaluate_and_encode_all(mnist):
    setup(seed=0)
    model = Autoencoder(8)
    out = evaluate(model, _mse, mnist.x_test)
    assert math.isclose(out["loss"], _mse(model, mnist.x_test).item(), rel_tol=1e-4)
    z = encode_all(lambda x: model.encoder(x.flatten(1)), mnist.x_test, batch_size=128)
    assert z.shape == (len(mnist.x_test), 8) and not z.requires_grad


def _vae_terms(m, x):
    logits, mu, logvar = m.forward_logits(x)
    recon, kl = bce_logits_per_image(logits, x), gaussian_kl(mu, logvar)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


def test_fit_trains_the_vae_on_logits_and_the_history_adds_up(mnist):
    setup(seed=0)
    model = MLPVAE(latent=8, hidden=64)
    h = fit(model, _vae_terms, mnist.x_train, epochs=3, x_val=mnist.x_test, progress=False)
    assert set(h) == {"loss", "recon", "kl", "val_loss", "val_recon", "val_kl"}
    assert all(len(v) == 3 for v in h.values())
    assert h["loss"][-1] < 0.8 * h["loss"][0]
    for e in range(3):  # the epoch means of the terms add up as the terms do
        assert math.isclose(h["loss"][e], h["recon"][e] + h["kl"][e], rel_tol=1e-5)
    assert math.isclose(h["val_loss"][-1], evaluate(model, _vae_terms, mnist.x_test)["loss"], rel_tol=0.05)


def test_fit_checks_the_loss_inputs_on_its_first_step_only():
    seen = []

    def loss_fn(m, x):
        seen.append(losses.checks_enabled())
        return bce_logits_per_image(m(x), x)

    fit(torch.nn.Linear(6, 6), loss_fn, torch.rand(40, 6), epochs=2, batch_size=16, progress=False)
    assert seen == [True] + [False] * 5
    assert losses.checks_enabled(), "fit gives the switch back as it found it"


def test_fit_stops_at_once_on_unscaled_images():
    x255 = torch.rand(64, 6) * 255
    with pytest.raises(ValueError, match=r"x in \[0, 1\].*255"):
        fit(torch.nn.Linear(6, 6), lambda m, x: bce_logits_per_image(m(x), x), x255, progress=False)
    assert losses.checks_enabled()


def test_hand_calls_are_checked_after_fit_and_after_a_failed_fit():
    calls = {"n": 0}

    def failing(m, x):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom in step 3")
        return mse_per_image(m(x), x)

    with pytest.raises(RuntimeError, match="boom"):
        fit(torch.nn.Linear(3, 3), failing, torch.rand(64, 3), batch_size=8, progress=False)
    fit(torch.nn.Linear(3, 3), _mse, torch.rand(64, 3), epochs=1, progress=False)
    with pytest.raises(ValueError, match="255"):
        bce_logits_per_image(torch.randn(4, 3), torch.rand(4, 3) * 255)
    with pytest.raises(ValueError, match="x_hat contains NaN"):
        bce_per_image(torch.full((4, 3), float("nan")), torch.rand(4, 3))


def test_nan_output_after_the_checked_step_still_says_nan():
    calls = {"n": 0}

    def loss_fn(m, x):
        calls["n"] += 1
        x_hat = torch.sigmoid(m(x))
        if calls["n"] == 4:
            x_hat = x_hat * float("nan")
        return bce_per_image(x_hat, x)

    with pytest.raises(ValueError, match="(?s)x_hat contains NaN.*diverged"):
        fit(torch.nn.Linear(5, 5), loss_fn, torch.rand(64, 5), batch_size=8, progress=False)
    calls["n"] = 0

    def logit_loss(m, x):
        calls["n"] += 1
        return bce_logits_per_image(m(x) * (float("nan") if calls["n"] == 2 else 1.0), x)

    with pytest.raises(TrainingDiverged, match="epoch 1, step 2"):  # NaN logits: the loss is NaN, fit names the step
        fit(torch.nn.Linear(5, 5), logit_loss, torch.rand(64, 5), batch_size=8, progress=False)


def test_fit_on_an_empty_tensor_says_so():
    """fit() on an empty x used to fail with KeyError: 'loss'."""
    model = torch.nn.Linear(4, 4)
    with pytest.raises(ValueError, match="x is empty"):
        fit(model, lambda m, x: m(x).pow(2).mean(), torch.empty(0, 4), epochs=1, progress=False)


def test_progress_needs_a_count_and_yields_every_item():
    from course_utils.training import progress
    assert list(progress([3, 1, 2], "runs")) == [3, 1, 2]
    assert list(progress(range(4), "seeds")) == [0, 1, 2, 3]
    assert list(progress((s for s in "ab"), "letters", total=2)) == ["a", "b"]
    with pytest.raises(TypeError, match="total="):
        progress((s for s in "ab"), "letters")
