"""A VAE in production (chapter 14): export the decoder, load it without the course's code, time it, watch it.

- ``export_decoder(model, path)`` writes the decoder, z (N, D) -> images (N, 1, 28, 28) in [0, 1], as a
  ``torch.export`` program (``.pt2``); ``export_onnx(model, path)`` writes the same graph as ONNX (needs the
  packages onnx and onnxscript; ``onnx_missing()`` says whether they are here). Only the decoder's weights go into
  the file, and a failed export leaves no file behind (atomic writes).
- ``FreshProcess(path)`` runs ``LOADER_SCRIPT``, a script that imports only torch or onnxruntime (and numpy), in a
  new Python process: it loads the file, draws z from N(0, I) and decodes it; ``.result()`` returns both.
- ``decoder_flops_per_image``, ``matmul_gflops`` and ``time_sampling``: throughput and latency against batch size
  beside the FLOP floor (the method of benchmarks/bench_training.py).
- ``per_image_statistics``, ``window_statistics``, ``calibrate_alarms`` and ``Alarms``: drift alarms on a stream
  of inputs, from the reconstruction error, the KL per dimension and the active units (course_utils.diagnostics).
- ``nearest_training_distance`` and ``near_copies``: each image's distance to its nearest training image, and the
  samples nearer than a limit calibrated on held-out images given the samples' treatment (memorisation).

Images are (N, 1, 28, 28) tensors with pixels in [0, 1]. A VAE is one with ``encode(x) -> (mu, logvar)`` and
``decode_logits(z)``, as in course_utils.models.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from course_utils import diagnostics, evaluation
from course_utils.applications import _check_images

TOLERANCE = 1e-5   # largest |difference| of pixel probabilities allowed between an exported decoder and PyTorch's


class ProductionError(ValueError):
    """Bad input to a production helper, with what was wrong and how to fix it."""


# ------------------------------------------------------------------ export

class SamplingDecoder(nn.Module):
    """A VAE's decoder as a module of its own: z (N, D) -> Bernoulli means (N, 1, 28, 28), sigmoid of decode_logits."""

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel probabilities for latent codes z."""
        return torch.sigmoid(self.vae.decode_logits(z)).reshape(-1, 1, 28, 28)


def latent_size(model: nn.Module) -> int:
    """D, the latent dimension of a course VAE (the out_features of its fc_mu layer), or a clear error."""
    if not callable(getattr(model, "decode_logits", None)):
        raise ProductionError(f"model must be a VAE with decode_logits(z), as course_utils.models.MLPVAE; got "
                              f"{type(model).__name__}.")
    layer = getattr(model, "fc_mu", None)
    if not isinstance(layer, nn.Linear):
        raise ProductionError(f"cannot tell the latent size of {type(model).__name__}: it has no fc_mu layer; "
                              "give it a Linear fc_mu as the course's VAEs have.")
    return layer.out_features


def decoder_only(model: nn.Module) -> SamplingDecoder:
    """A SamplingDecoder on a copy of `model` whose layers unused by decode_logits are dropped (no encoder weights)."""
    d = latent_size(model)
    used: set[nn.Module] = set()
    hooks = [m.register_forward_hook(lambda m, i, o: used.add(m)) for m in model.modules()]
    try:
        with torch.no_grad():
            model.decode_logits(torch.zeros(2, d))
    finally:
        for h in hooks:
            h.remove()
    keep = copy.deepcopy(model).eval()
    dropped: list[str] = []
    for name, original in model.named_modules():
        if not name or any(name.startswith(f"{gone}.") for gone in dropped):
            continue
        if not any(m in used for m in original.modules()) and any(True for _ in original.parameters()):
            parent, _, attr = name.rpartition(".")
            setattr(keep.get_submodule(parent), attr, nn.Identity())   # encoder layers: not shipped
            dropped.append(name)
    for p in keep.parameters():
        p.requires_grad_(False)
    return SamplingDecoder(keep).eval()


def _target(path: str | os.PathLike, suffix: str) -> Path:
    """`path` as a Path ending in `suffix` in an existing folder, or a clear error."""
    path = Path(path)
    if path.suffix != suffix:
        raise ProductionError(f"the file name must end in {suffix}, got {path.name!r}; e.g. decoder{suffix}.")
    if not path.parent.is_dir():
        raise ProductionError(f"folder {path.parent} does not exist; create it first (Path(...).mkdir(parents=True)).")
    return path


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(tmp) on a temporary file beside `path`, then rename it to `path`: readers never see half a file."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}{path.suffix}")   # the usual permissions
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _dynamic_batch() -> dict:
    """The dynamic_shapes argument that lets the batch dimension of z vary (1 to 65,536 images)."""
    return {"z": {0: torch.export.Dim("batch", min=1, max=65536)}}


def export_decoder(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write the decoder of `model` as a torch.export program to `path` (.pt2), any batch size; return the path."""
    path = _target(path, ".pt2")
    decoder = decoder_only(model)
    program = torch.export.export(decoder, (torch.zeros(2, latent_size(model)),), dynamic_shapes=_dynamic_batch())
    _write_atomically(path, lambda tmp: torch.export.save(program, tmp))
    return path


def onnx_missing() -> str | None:
    """None if the packages for ONNX export and onnxruntime are installed; else which are missing, and the fix."""
    missing = [p for p in ("onnx", "onnxscript", "onnxruntime") if importlib.util.find_spec(p) is None]
    if not missing:
        return None
    return (f"not installed here: {', '.join(missing)}; install with  pip install onnx onnxscript onnxruntime  "
            "(the course's test extra pins them: pip install -e .[test]).")


def export_onnx(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write the decoder of `model` as ONNX to `path` (.onnx, weights inside the file), any batch size; return it."""
    path = _target(path, ".onnx")
    why = onnx_missing()
    if why:
        raise ProductionError(f"cannot export to ONNX: {why}")
    decoder = decoder_only(model)
    example = (torch.zeros(2, latent_size(model)),)

    def write(tmp: Path) -> None:
        torch.onnx.export(decoder, example, str(tmp), dynamo=True, external_data=False,
                          dynamic_shapes=_dynamic_batch(), input_names=["z"], output_names=["images"], verbose=False)

    _write_atomically(path, write)
    return path


# ------------------------------------------------------------------ loading in a fresh process

LOADER_SCRIPT = '''\
"""Sample from an exported VAE decoder. No course code: torch (for .pt2) or onnxruntime (for .onnx), and numpy.

    python sample_decoder.py DECODER.pt2|DECODER.onnx N SEED OUT.npz THREADS
"""
import importlib.util
import json
import sys
import time

import numpy as np

path, n, seed, out, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
start = time.perf_counter()
if path.endswith(".pt2"):
    import torch
    torch.set_num_threads(threads)
    program = torch.export.load(path)
    z_name = program.graph_signature.user_inputs[0]
    latent = next(node for node in program.graph.nodes if node.name == z_name).meta["val"].shape[1]
    decoder = program.module()
    sample = lambda z: decoder(torch.from_numpy(z)).numpy()
elif path.endswith(".onnx"):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    z_input = session.get_inputs()[0]
    latent = z_input.shape[1]
    sample = lambda z: session.run(None, {z_input.name: z})[0]
else:
    sys.exit(f"expected a .pt2 or .onnx file, got {path}")
loaded = time.perf_counter()
z = np.random.default_rng(seed).standard_normal((n, latent)).astype(np.float32)   # z ~ N(0, I)
images = sample(z)
np.savez(out, z=z, images=images)
print(json.dumps({"file": path, "images": list(images.shape), "load_seconds": round(loaded - start, 3),
                  "sample_seconds": round(time.perf_counter() - loaded, 4),
                  "course_code_imported": any(m.split(".")[0] == "course_utils" for m in sys.modules),
                  "course_code_importable": importlib.util.find_spec("course_utils") is not None,
                  "torch_imported": "torch" in sys.modules}))
'''


class FreshSamples(NamedTuple):
    """What the loader script returned: its latent draws z (N, D), its images (N, 1, 28, 28) and its report."""

    z: torch.Tensor
    images: torch.Tensor
    info: dict


class FreshProcess:
    """LOADER_SCRIPT run on an exported decoder in a new Python process (started at once; .result() waits for it)."""

    def __init__(self, path: str | os.PathLike, n: int = 16, seed: int = 0, threads: int = 1):
        path = Path(path)
        if path.suffix not in (".pt2", ".onnx") or not path.is_file():
            raise ProductionError(f"path must be an existing .pt2 or .onnx file (export_decoder, export_onnx); got {path}.")
        if n < 1 or threads < 1:
            raise ProductionError(f"n and threads must be at least 1, got n={n}, threads={threads}.")
        self.folder = Path(tempfile.mkdtemp(prefix="fresh_decoder_"))
        self.script, self.out = self.folder / "sample_decoder.py", self.folder / "samples.npz"
        self.script.write_text(LOADER_SCRIPT, encoding="utf-8")
        # -I: isolated mode (no PYTHONPATH, no user site, the script's folder not on sys.path); run in an empty folder
        self.command = [sys.executable, "-I", str(self.script), str(path.resolve()), str(n), str(seed), str(self.out),
                        str(threads)]
        self._proc = subprocess.Popen(self.command, cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)

    def result(self, timeout: float = 300) -> FreshSamples:
        """Wait for the process; return its z and images as tensors and its JSON report, or raise with its stderr."""
        try:
            stdout, stderr = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()   # the process this object started, no other
            self._proc.communicate()
            raise
        try:
            if self._proc.returncode != 0:
                raise RuntimeError(f"the loader script failed (exit code {self._proc.returncode}):\n{stderr[-2000:]}")
            info = json.loads(stdout.strip().splitlines()[-1])
            with np.load(self.out) as saved:
                z, images = torch.from_numpy(saved["z"]), torch.from_numpy(saved["images"])
        finally:
            for f in (self.script, self.out):
                f.unlink(missing_ok=True)
            self.folder.rmdir()
        return FreshSamples(z, images, info)


# ------------------------------------------------------------------ throughput against the FLOP floor

def decoder_flops_per_image(model: nn.Module) -> int:
    """FLOPs of one image through the decoder: 2 x the multiply-adds of every Linear / Conv layer it runs."""
    macs: list[int] = []

    def count(m: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if isinstance(m, nn.Linear):
            macs.append(m.in_features * m.out_features)
        elif isinstance(m, nn.Conv2d):
            macs.append(output[0].numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size))
        elif isinstance(m, nn.ConvTranspose2d):
            macs.append(inputs[0][0].numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size))

    decoder = decoder_only(model)
    hooks = [m.register_forward_hook(count) for m in decoder.modules()]
    try:
        with torch.no_grad():
            decoder(torch.zeros(1, latent_size(model)))
    finally:
        for h in hooks:
            h.remove()
    return 2 * sum(macs)


def _onnx_matmul(m: int, k: int, n: int) -> Callable[[], object]:
    """A call of onnxruntime on a graph of one float32 MatMul, (m, k) @ (k, n), at torch's current thread count."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    g = np.random.default_rng(0)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(g.standard_normal((k, n)).astype(np.float32), "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 10)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    a = g.standard_normal((m, k)).astype(np.float32)
    onnx.checker.check_model(model)
    return lambda: session.run(None, {"a": a})


def matmul_gflops(shapes: tuple[tuple[int, int, int], ...] = ((256, 256, 256), (512, 512, 512), (1024, 1024, 1024)),
                  seconds: float = 0.2, runtime: str = "torch") -> float:
    """The best float32 GFLOP/s of (m, k) @ (k, n) matmuls at torch's thread count, in torch or onnxruntime.

    The method of benchmarks/bench_training.py, over several shapes (on one core a 1024 matmul can run slower than a
    256 one) and many short calls, each shape's fastest call counting: a busy machine slows calls, never speeds one up.
    It is the fastest matmul measured here, a yardstick: another kernel, on other shapes, may beat it by a few %."""
    if not shapes or min(min(s) for s in shapes) < 16 or seconds <= 0:
        raise ProductionError(f"every shape (m, k, n) needs sizes of at least 16 and seconds must be positive, got "
                              f"shapes={shapes}, seconds={seconds}.")
    if runtime not in ("torch", "onnxruntime"):
        raise ProductionError(f"runtime must be 'torch' or 'onnxruntime', got {runtime!r}.")
    if runtime == "onnxruntime" and onnx_missing():
        raise ProductionError(f"cannot time onnxruntime: {onnx_missing()}")
    g = torch.Generator().manual_seed(0)
    best = 0.0
    for m, k, n in shapes:
        if runtime == "torch":
            a, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
            call = lambda: a @ b   # noqa: E731
        else:
            call = _onnx_matmul(m, k, n)
        call()   # warm-up
        spent, fastest = 0.0, float("inf")
        while spent < seconds:
            start = time.perf_counter()
            call()
            took = time.perf_counter() - start
            spent, fastest = spent + took, min(fastest, took)
        best = max(best, 2 * m * k * n / fastest / 1e9)
    return best


class Timing(NamedTuple):
    """One batch size: median seconds per call (latency) and images per second (throughput)."""

    batch: int
    latency_s: float
    images_per_s: float
    calls: int


def time_sampling(sample: Callable[[torch.Tensor], object], latent: int, batch_sizes: list[int],
                  seconds: float = 0.1, max_calls: int = 200) -> list[Timing]:
    """Time sample(z) for z of each batch size (after a warm-up call): the median of at least 3 calls, about `seconds`."""
    if latent < 1 or not batch_sizes or min(batch_sizes) < 1:
        raise ProductionError(f"latent and every batch size must be positive, got latent={latent}, "
                              f"batch_sizes={batch_sizes}.")
    g = torch.Generator().manual_seed(0)
    rows = []
    with torch.inference_mode():
        for batch in batch_sizes:
            z = torch.randn(batch, latent, generator=g)
            start = time.perf_counter()
            sample(z)   # warm-up, also sizes the number of calls
            first = time.perf_counter() - start
            calls = max(3, min(max_calls, int(seconds / max(first, 1e-6))))
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                sample(z)
                times.append(time.perf_counter() - start)
            latency = statistics.median(times)
            rows.append(Timing(batch, latency, batch / latency, calls))
    return rows


# ------------------------------------------------------------------ drift alarms

class PerImage(NamedTuple):
    """Per-image monitoring quantities: squared reconstruction error (N,), and q(z|x)'s mu and logvar (N, D)."""

    recon_error: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor


def per_image_statistics(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> PerImage:
    """Encode grey images x: the squared error of the reconstruction at z = mu (evaluation.reconstruct), mu, logvar."""
    x = _check_images(x)
    mu, logvar = diagnostics.posterior_means(model, x, batch_size)
    return PerImage(evaluation.squared_error(evaluation.reconstruct(model, x), x), mu, logvar)


ALARMS = ("recon_error", "kl_shift", "active_units")


def window_statistics(stats: PerImage, windows: list[torch.Tensor], reference_kl: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three alarm statistics of each window (a tensor of image indices into `stats`), each of shape (W,).

    recon_error: the window's mean squared reconstruction error; kl_shift: sum over dimensions u of
    |KL_u(window) - KL_u(reference)| in nats, KL_u from diagnostics.kl_per_dimension; active_units: how many
    dimensions are active on the window (diagnostics.active_units)."""
    if not windows or min(len(w) for w in windows) < 2:
        raise ProductionError("give at least one window of at least 2 images (active units need a variance).")
    if reference_kl.shape != stats.mu.shape[1:]:
        raise ProductionError(f"reference_kl must have one value per latent dimension, {tuple(stats.mu.shape[1:])}, "
                              f"got {tuple(reference_kl.shape)}.")
    recon = torch.stack([stats.recon_error[w].mean() for w in windows])
    kl = torch.stack([(diagnostics.kl_per_dimension(stats.mu[w], stats.logvar[w]) - reference_kl).abs().sum()
                      for w in windows])
    active = torch.tensor([float(diagnostics.active_units(stats.mu[w])) for w in windows])
    return {"recon_error": recon, "kl_shift": kl, "active_units": active}


def random_windows(n_images: int, size: int, count: int, seed: int = 0) -> list[torch.Tensor]:
    """`count` windows of `size` distinct image indices out of n_images, each drawn at random (seeded)."""
    if not 2 <= size <= n_images or count < 1:
        raise ProductionError(f"need 2 <= size <= n_images and count >= 1, got size={size}, n_images={n_images}, "
                              f"count={count}.")
    g = torch.Generator().manual_seed(seed)
    return [torch.randperm(n_images, generator=g)[:size] for _ in range(count)]


def consecutive_windows(n_images: int, size: int) -> list[torch.Tensor]:
    """The stream cut into consecutive windows of `size` images (a last partial window is dropped)."""
    if not 2 <= size <= n_images:
        raise ProductionError(f"need 2 <= size <= n_images, got size={size}, n_images={n_images}.")
    return [torch.arange(i, i + size) for i in range(0, n_images - size + 1, size)]


class Alarms(NamedTuple):
    """Thresholds calibrated on clean windows: an alarm fires above `high` (recon, KL) or outside [low, high] (units)."""

    reference_kl: torch.Tensor
    low: dict[str, float]
    high: dict[str, float]
    window: int

    def check(self, stats: PerImage, windows: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """For each alarm and 'any': a bool tensor (W,), True where the window fires it."""
        if any(len(w) != self.window for w in windows):
            raise ProductionError(f"these thresholds were calibrated on windows of {self.window} images; give windows "
                                  f"of that size (consecutive_windows(n, {self.window})) or calibrate again.")
        values = window_statistics(stats, windows, self.reference_kl)
        fired = {k: (values[k] > self.high[k]) | (values[k] < self.low[k]) for k in ALARMS}
        fired["any"] = torch.stack([fired[k] for k in ALARMS]).any(0)
        return fired


def calibrate_alarms(clean: PerImage, window: int = 100, count: int = 500, quantile: float = 0.995,
                     seed: int = 0) -> Alarms:
    """Thresholds from `count` random windows of clean held-out images: the `quantile` of each statistic.

    recon_error and kl_shift fire above it; active_units fires below its (1 - quantile) or above its quantile.
    The reference KL profile is the clean images' KL per dimension."""
    if not 0.5 < quantile < 1:
        raise ProductionError(f"quantile must be between 0.5 and 1 (e.g. 0.995), got {quantile}.")
    reference_kl = diagnostics.kl_per_dimension(clean.mu, clean.logvar)
    values = window_statistics(clean, random_windows(len(clean.mu), window, count, seed), reference_kl)
    high = {k: float(torch.quantile(values[k], quantile)) for k in ALARMS}
    low = {k: -math.inf for k in ALARMS}
    low["active_units"] = float(torch.quantile(values["active_units"], 1 - quantile))
    return Alarms(reference_kl, low, high, window)


def false_alarm_rates(alarms: Alarms, clean: PerImage, count: int = 500, seed: int = 1) -> dict[str, float]:
    """Share of `count` random windows of clean images (not those calibrated on) that fire each alarm, and 'any'."""
    fired = alarms.check(clean, random_windows(len(clean.mu), alarms.window, count, seed))
    return {k: float(v.float().mean()) for k, v in fired.items()}


# ------------------------------------------------------------------ memorisation

def nearest_training_distance(x: torch.Tensor, train: torch.Tensor, batch_size: int = 1000
                              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean pixel distance from each image of x to its nearest training image, and that image's index: (N,), (N,)."""
    x, train = _check_images(x), _check_images(train, "train")
    if len(train) == 0:
        raise ProductionError("train holds no images.")
    flat = train.flatten(1)
    dist, index = [], []
    for i in range(0, len(x), batch_size):
        d = torch.cdist(x[i:i + batch_size].flatten(1), flat)
        best = d.min(1)
        dist.append(best.values)
        index.append(best.indices)
    return torch.cat(dist), torch.cat(index)


class NearCopies(NamedTuple):
    """Each sample's nearest-training distance and index, the calibrated limit, and which samples are near-copies."""

    distance: torch.Tensor
    nearest: torch.Tensor
    limit: float
    is_copy: torch.Tensor

    @property
    def share(self) -> float:
        """The share of samples that are near-copies."""
        return float(self.is_copy.float().mean())


def near_copies(samples: torch.Tensor, train: torch.Tensor, held_out: torch.Tensor, quantile: float = 0.01
                ) -> NearCopies:
    """Samples nearer to a training image than the `quantile` of held-out images (given the samples' treatment) are.

    `held_out` must be images the model never trained on, passed through the same pipeline as the samples (for a
    VAE's samples: encode, then decode): by construction a share `quantile` of them counts as near, which is the
    share to expect from a model that makes new images rather than copies."""
    if not 0 < quantile < 0.5:
        raise ProductionError(f"quantile must be between 0 and 0.5 (e.g. 0.01), got {quantile}.")
    if len(_check_images(held_out, "held_out")) < 10 / quantile:
        raise ProductionError(f"{len(held_out)} held-out images cannot calibrate a {quantile:g} quantile (it would be one "
                              f"of the few smallest distances); give at least {math.ceil(10 / quantile)}.")
    limit = float(torch.quantile(nearest_training_distance(held_out, train)[0], quantile))
    distance, nearest = nearest_training_distance(samples, train)
    return NearCopies(distance, nearest, limit, distance < limit)
