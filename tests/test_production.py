"""course_utils.production (chapter 14): export, fresh-process load, FLOP count, drift alarms, near-copies, bad input."""
import ast
from pathlib import Path

import pytest
import torch

from course_utils import models, production as prod, zoo
from course_utils.data import load_fashion_mnist


@pytest.fixture(scope="module")
def vae():
    return zoo.load("mlp_vae_ch07", verbose=False)


@pytest.fixture(scope="module")
def digits():
    return zoo.load_data("mlp_vae_ch07")


# ------------------------------------------------------------------ export and a fresh process

def test_fresh_process_samples_equal_pytorch(vae, tmp_path):
    pt2 = prod.export_decoder(vae, tmp_path / "decoder.pt2")
    jobs = {"pt2": prod.FreshProcess(pt2, n=33, seed=7)}      # an odd batch: the batch size is dynamic
    if prod.onnx_missing() is None:
        jobs["onnx"] = prod.FreshProcess(prod.export_onnx(vae, tmp_path / "decoder.onnx"), n=33, seed=7)
    decoder = prod.decoder_only(vae)
    for name, job in jobs.items():
        run = job.result()
        assert run.images.shape == (33, 1, 28, 28) and run.z.shape == (33, 20)
        assert run.info["course_code_importable"] and not run.info["course_code_imported"], name   # could, did not
        with torch.no_grad():
            want = torch.sigmoid(vae.decode_logits(run.z)).view(-1, 1, 28, 28)   # the model itself, not the copy
        assert (run.images - want).abs().max() <= prod.TOLERANCE, name
        assert (run.images - decoder(run.z)).abs().max() <= prod.TOLERANCE, name
        assert run.images.std() > 0.1, "the samples must be digits, not a constant image"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["decoder.pt2"] + (["decoder.onnx"] if "onnx" in jobs else []))


def test_onnx_process_does_not_import_torch(vae, tmp_path):
    if prod.onnx_missing() is not None:
        pytest.skip(prod.onnx_missing())
    run = prod.FreshProcess(prod.export_onnx(vae, tmp_path / "d.onnx"), n=4, seed=0).result()
    assert run.info["torch_imported"] is False and run.info["course_code_imported"] is False


def test_the_loader_script_imports_no_course_code():
    tree = ast.parse(prod.LOADER_SCRIPT)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"importlib", "json", "sys", "time", "numpy", "torch", "onnxruntime"}


def test_the_module_imports_no_zoo_and_no_tools():
    tree = ast.parse(Path(prod.__file__).read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not {m for m in imported if m.startswith(("course_utils.zoo", "course_utils.tools"))}


def test_only_the_decoder_is_shipped(vae):
    dec = prod.decoder_only(vae)
    assert sum(p.numel() for p in dec.parameters()) == 20 * 400 + 400 + 400 * 784 + 784
    assert all(p.data_ptr() != q.data_ptr() for p in dec.parameters() for q in vae.parameters())   # a copy
    conv = models.ConvVAE(latent=8)
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.equal(prod.decoder_only(conv)(z), torch.sigmoid(conv.decode_logits(z)).view(-1, 1, 28, 28))
    assert sum(p.numel() for p in prod.decoder_only(conv).parameters()) < sum(p.numel() for p in conv.parameters())


def test_a_failed_export_leaves_no_file(vae, tmp_path, monkeypatch):
    target = tmp_path / "decoder.pt2"

    def half_write(program, f, *args, **kwargs):
        Path(f).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch.export, "save", half_write)
    with pytest.raises(OSError, match="disk full"):
        prod.export_decoder(vae, target)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"an older, complete export")
    with pytest.raises(OSError):
        prod.export_decoder(vae, target)
    assert target.read_bytes() == b"an older, complete export" and list(tmp_path.iterdir()) == [target]


def test_a_failed_onnx_export_leaves_no_file(vae, tmp_path, monkeypatch):
    if prod.onnx_missing() is not None:
        pytest.skip(prod.onnx_missing())

    def half_write(model, args, f, **kwargs):
        Path(f).write_bytes(b"half")
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(torch.onnx, "export", half_write)
    with pytest.raises(RuntimeError, match="exporter crashed"):
        prod.export_onnx(vae, tmp_path / "decoder.onnx")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ throughput

def test_flops_are_counted_from_the_layers(vae):
    assert prod.decoder_flops_per_image(vae) == 2 * (20 * 400 + 400 * 784)
    small = models.MLPVAE(latent=3, hidden=7)
    assert prod.decoder_flops_per_image(small) == 2 * (3 * 7 + 7 * 784)
    conv = models.ConvVAE(latent=8)   # Linear 8 -> 64*7*7, then ConvTranspose 64->64 (3x3) at 7x7, 64->32 at 14x14, 32->1 at 28x28
    want = 2 * (8 * 3136 + 64 * 49 * 64 * 9 + 64 * 196 * 32 * 9 + 32 * 784 * 9)
    assert prod.decoder_flops_per_image(conv) == want == 11_339_776


def test_time_sampling_measures_every_batch_size():
    calls = []
    rows = prod.time_sampling(lambda z: calls.append(len(z)), latent=4, batch_sizes=[1, 8], seconds=0.001)
    assert [r.batch for r in rows] == [1, 8] and all(r.calls >= 3 and r.latency_s > 0 for r in rows)
    assert set(calls) == {1, 8} and calls.count(1) == rows[0].calls + 1   # + the warm-up call
    assert rows[1].images_per_s == pytest.approx(8 / rows[1].latency_s)
    assert prod.matmul_gflops(((64, 32, 16),), seconds=0.001) > 0
    if prod.onnx_missing() is None:
        assert prod.matmul_gflops(((64, 32, 16),), seconds=0.001, runtime="onnxruntime") > 0


# ------------------------------------------------------------------ drift alarms

@pytest.fixture(scope="module")
def alarm_setup(vae, digits):
    order = torch.randperm(len(digits.x_test), generator=torch.Generator().manual_seed(0))
    calib = prod.per_image_statistics(vae, digits.x_test[order[:1000]])
    clean_x = digits.x_test[order[1000:]]
    return prod.calibrate_alarms(calib, window=50), clean_x


def test_alarms_fire_on_a_shifted_stream_and_not_on_a_clean_one(vae, alarm_setup):
    alarms, clean_x = alarm_setup
    clean = prod.per_image_statistics(vae, clean_x)
    rates = prod.false_alarm_rates(alarms, clean, count=300)
    assert rates["any"] < 0.15
    fired_clean = alarms.check(clean, prod.consecutive_windows(len(clean_x), 50))["any"]
    assert fired_clean.float().mean() <= 0.15
    fashion = prod.per_image_statistics(vae, load_fashion_mnist(n_train=1, n_test=500, verbose=False).x_test)
    fired = alarms.check(fashion, prod.consecutive_windows(500, 50))
    assert bool(fired["recon_error"].all() and fired["kl_shift"].all() and fired["any"].all())


def test_the_active_unit_alarm_fires_on_a_stuck_stream(vae, alarm_setup):
    alarms, clean_x = alarm_setup
    stuck = prod.per_image_statistics(vae, clean_x[:1].expand(100, 1, 28, 28))
    fired = alarms.check(stuck, prod.consecutive_windows(100, 50))
    assert bool(fired["active_units"].all())


def test_a_half_shifted_window_fires_and_thresholds_are_quantiles(vae, alarm_setup):
    alarms, clean_x = alarm_setup
    assert alarms.low["recon_error"] == -float("inf") and alarms.high["recon_error"] > 0
    mixed = torch.cat([clean_x[:25], load_fashion_mnist(n_train=1, n_test=25, verbose=False).x_test])
    assert bool(alarms.check(prod.per_image_statistics(vae, mixed), [torch.arange(50)])["recon_error"][0])


# ------------------------------------------------------------------ memorisation

def test_planted_copies_are_found_as_near_copies(vae, digits):
    dec = prod.decoder_only(vae)
    with torch.no_grad():
        samples = dec(torch.randn(300, 20, generator=torch.Generator().manual_seed(0)))
        held_out = dec(vae.encode(digits.x_test[:1000])[0])
        copied = dec(vae.encode(digits.x_train[:300])[0])   # what a decoder that prints its training digits would make
    found = prod.near_copies(torch.cat([samples, copied]), digits.x_train, held_out, quantile=0.01)
    assert found.is_copy[:300].float().mean() <= 0.01              # the model's own samples: no more than held-out digits
    assert found.is_copy[300:].float().mean() > 0.03               # a copying decoder's prints: far more than 1 %
    copied_nearest = found.nearest[300:][found.is_copy[300:]]
    assert (copied_nearest == torch.arange(300)[found.is_copy[300:]]).float().mean() > 0.9   # ... of its own originals
    exact = prod.near_copies(digits.x_train[:5], digits.x_train, held_out, quantile=0.01)
    assert bool(exact.is_copy.all()) and torch.equal(exact.nearest, torch.arange(5))


def test_nearest_training_distance_is_exact():
    g = torch.Generator().manual_seed(0)
    train, x = torch.rand(50, 1, 28, 28, generator=g), torch.rand(7, 1, 28, 28, generator=g)
    d, i = prod.nearest_training_distance(x, train, batch_size=3)
    brute = ((x.flatten(1)[:, None] - train.flatten(1)[None]) ** 2).sum(-1).sqrt()
    assert torch.equal(i, brute.argmin(1)) and torch.allclose(d, brute.min(1).values, atol=1e-4)


# ------------------------------------------------------------------ bad input

def test_bad_input_gets_a_clear_error(vae, tmp_path, monkeypatch):
    with pytest.raises(prod.ProductionError, match=r"end in \.pt2"):
        prod.export_decoder(vae, tmp_path / "decoder.onnx")
    with pytest.raises(prod.ProductionError, match="does not exist"):
        prod.export_decoder(vae, tmp_path / "missing" / "decoder.pt2")
    with pytest.raises(prod.ProductionError, match="decode_logits"):
        prod.export_decoder(torch.nn.Linear(2, 2), tmp_path / "decoder.pt2")
    with pytest.raises(prod.ProductionError, match="existing .pt2 or .onnx"):
        prod.FreshProcess(tmp_path / "nothing.pt2")
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        prod.per_image_statistics(vae, torch.rand(5, 784))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        prod.nearest_training_distance(torch.rand(2, 1, 28, 28) * 255, torch.rand(3, 1, 28, 28))
    clean = prod.per_image_statistics(vae, torch.rand(20, 1, 28, 28))
    with pytest.raises(prod.ProductionError, match="quantile"):
        prod.calibrate_alarms(clean, window=5, quantile=99.5)
    with pytest.raises(prod.ProductionError, match="size"):
        prod.calibrate_alarms(clean, window=50)
    with pytest.raises(prod.ProductionError, match="held-out"):
        prod.near_copies(torch.rand(2, 1, 28, 28), torch.rand(3, 1, 28, 28), torch.rand(10, 1, 28, 28))
    with pytest.raises(prod.ProductionError, match="batch size"):
        prod.time_sampling(lambda z: z, latent=4, batch_sizes=[0])
    with pytest.raises(prod.ProductionError, match="runtime must be"):
        prod.matmul_gflops(runtime="tensorflow")
    monkeypatch.setattr(prod.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(prod.ProductionError, match="pip install onnx onnxscript onnxruntime"):
        prod.export_onnx(vae, tmp_path / "decoder.onnx")
    with pytest.raises(prod.ProductionError, match="cannot time onnxruntime"):
        prod.matmul_gflops(runtime="onnxruntime")
    assert list(tmp_path.iterdir()) == []


def test_a_broken_export_fails_loudly_in_the_fresh_process(tmp_path):
    broken = tmp_path / "decoder.pt2"
    broken.write_bytes(b"not a torch.export archive")
    job = prod.FreshProcess(broken, n=2)
    with pytest.raises(RuntimeError, match="loader script failed"):
        job.result()
    assert not job.folder.exists()   # its temporary folder is gone all the same


def test_window_statistics_follow_the_diagnostics(vae, digits):
    stats = prod.per_image_statistics(vae, digits.x_test[:300])
    everything = torch.arange(300)
    own = prod.diagnostics.kl_per_dimension(stats.mu, stats.logvar)
    values = prod.window_statistics(stats, [everything, everything[:100]], own)
    assert values["kl_shift"][0] == pytest.approx(0, abs=1e-5) and values["kl_shift"][1] > 0
    assert values["recon_error"][0] == pytest.approx(float(stats.recon_error.mean()))
    assert values["active_units"][0] == prod.diagnostics.active_units(stats.mu)
    x_hat = torch.sigmoid(vae.decode_logits(stats.mu)).detach()
    assert torch.allclose(stats.recon_error, (x_hat - digits.x_test[:300].flatten(1)).pow(2).sum(1), rtol=1e-4)


def test_alarms_refuse_windows_of_another_size(vae, alarm_setup):
    alarms, clean_x = alarm_setup
    with pytest.raises(prod.ProductionError, match="windows of 50"):
        alarms.check(prod.per_image_statistics(vae, clean_x[:100]), prod.consecutive_windows(100, 20))
