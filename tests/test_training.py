import math

import pytest
import torch

from course_utils.losses import mse_per_image
from course_utils.models import Autoencoder
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
