"""Benchmark: course_utils.training.fit (in-memory tensors) against a torchvision DataLoader.

Same model (the seeds' MLP VAE, 784-400-20), same loss, batch 128, 8,000 MNIST digits,
2 CPU threads. The DataLoader side reads PIL images through torchvision's ToTensor, as
most tutorials do. Prints examples per second for each and the speed-up, as medians
over interleaved rounds.

    python benchmarks/bench_training.py [--epochs 3] [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from pathlib import Path

import torch
from torchvision import transforms

from course_utils.tools.build import write_atomic
from course_utils.data import PILImageDataset, load_mnist
from course_utils.losses import bce_per_image, gaussian_kl
from course_utils.models import MLPVAE
from course_utils.training import fit, setup


def vae_loss(model: MLPVAE, x: torch.Tensor) -> torch.Tensor:
    """Negative ELBO per image: BCE reconstruction + Gaussian KL."""
    x_hat, mu, logvar = model(x)
    return bce_per_image(x_hat, x) + gaussian_kl(mu, logvar)


def run_in_memory(x: torch.Tensor, epochs: int) -> float:
    """Seconds to train `epochs` epochs with course_utils.training.fit."""
    setup(seed=0, threads=2)
    model = MLPVAE(latent=20, hidden=400)
    start = time.perf_counter()
    fit(model, vae_loss, x, epochs=epochs, batch_size=128, progress=False)
    return time.perf_counter() - start


def run_dataloader(x: torch.Tensor, y: torch.Tensor, epochs: int) -> float:
    """Seconds to train `epochs` epochs from a DataLoader over PIL images with ToTensor."""
    setup(seed=0, threads=2)
    model = MLPVAE(latent=20, hidden=400)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(PILImageDataset(x, y, transforms.ToTensor()),
                                         batch_size=128, shuffle=True)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, _ in loader:
            loss = vae_loss(model, xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - start


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo where there is one (Linux), else the platform's guess."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    mnist = load_mnist(n_train=8000, n_test=2000)
    x, y = mnist.x_train, mnist.y_train
    n = len(x) * args.epochs
    run_in_memory(x, 1)  # warm-up: first-call set-up is not training speed
    run_dataloader(x, y, 1)
    # Interleave the two sides, so that a busy spell on the machine hits both alike,
    # and report medians: one lucky or unlucky run moves neither figure.
    rounds = [(run_in_memory(x, args.epochs), run_dataloader(x, y, args.epochs)) for _ in range(args.repeats)]
    ratios = sorted(d / m for m, d in rounds)
    result = {"in_memory": round(n / statistics.median(m for m, _ in rounds)),
              "dataloader_totensor": round(n / statistics.median(d for _, d in rounds)),
              "speedup": round(statistics.median(ratios), 2),
              "speedup_range": [round(ratios[0], 2), round(ratios[-1], 2)]}
    print(f"MLP VAE 784-400-20, batch 128, {len(x):,} digits x {args.epochs} epochs, "
          f"{torch.get_num_threads()} threads, median of {args.repeats} interleaved rounds")
    print(f"  in-memory fit():          {result['in_memory']:>7,} examples/s")
    print(f"  DataLoader + ToTensor:    {result['dataloader_totensor']:>7,} examples/s")
    print(f"  speed-up:                 {result['speedup']}x, rounds from {ratios[0]:.2f}x to {ratios[-1]:.2f}x "
          "(goal: at least 3x)")
    result.update(epochs=args.epochs, repeats=args.repeats, threads=torch.get_num_threads(), n_train=len(x),
                  cpu=cpu_name(), torch=torch.__version__)
    out = Path(__file__).with_name("bench_training.json")
    write_atomic(out, json.dumps(result, indent=2) + "\n")
    print(f"written to {out.name}: {json.dumps(result)}")


if __name__ == "__main__":
    main()
