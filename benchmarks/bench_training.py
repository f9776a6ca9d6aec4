"""Benchmark: the course's fit() against the reference DataLoader loop, a bare loop and the FLOP floor.

One model throughout: the seeds' MLP VAE (784-400-20), batch 128, Adam with learning rate 1e-3,
full Fashion-MNIST (60,000 training images; MNIST 8,000 only if Fashion-MNIST is missing).

  reference_dataloader  the loop of pytorch/examples' vae/main.py: a DataLoader over a
                        torchvision-style dataset that applies ToTensor to one PIL image at a time,
                        shuffle, sigmoid outputs into F.binary_cross_entropy (reduction "sum"),
                        plain torch.optim.Adam, loss.item() every step
  fit                   course_utils.training.fit with the course's defaults: in-memory tensors,
                        logits into losses.bce_logits_per_image, fused Adam (training.adam)
  bare_loop             the same choices and loss as fit, written by hand in ten lines: fit's own
                        overhead is fit / bare_loop - 1
  bare_loop_torch_bce   the bare loop with torch's F.binary_cross_entropy_with_logits instead of
                        losses.bce_logits_per_image (what the course's loss saves)
  flop_floor            the model's training FLOPs per image (forward multiply-adds x 2 FLOPs x 3 for
                        forward + backward) x images / the float32 matmul peak measured here

The sides run interleaved (a busy spell on the machine hits all of them alike) and every
figure is a median over rounds, with the range. Seconds are per epoch.

Every side of every round (and every matmul peak) runs in a fresh Python process: this script
calls itself with --side NAME, and the child loads the data, sets the thread count, warms up on
1,024 images, times the epochs and prints one JSON line. Run one after another in one process,
a side can inherit the thread pool of the side before it in a worse state (fit and the bare loop
then ran at about one-thread speed); a fresh process is also what a learner's notebook starts from.

    python benchmarks/bench_training.py [--epochs 1] [--rounds 5] [--threads 2] [--n-train N]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision import transforms

from course_utils.tools.build import write_atomic
from course_utils.data import DataNotFoundError, PILImageDataset, load_fashion_mnist, load_mnist
from course_utils.losses import bce_logits_per_image, checks, gaussian_kl
from course_utils.models import MLPVAE
from course_utils.training import adam, fit, setup

BATCH, LR = 128, 1e-3
OUT = Path(__file__).with_name("bench_training.json")
# The goal is set against the FLOP floor, the one bound no loop can beat. The ratio to the reference loop is
# information only: its DataLoader costs 5.2-5.5 s per epoch here against a floor of ~1.2 s, so "4x the
# reference" would ask for fit within 1.1x of the floor.
GOALS = {"fit_vs_reference": "information only (no goal)", "fit_vs_floor": "at most 1.5",
         "fit_overhead_vs_bare": "at most 0.05"}


def vae_loss(model: MLPVAE, x: torch.Tensor) -> torch.Tensor:
    """The course's negative ELBO per image: BCE on logits + Gaussian KL."""
    logits, mu, logvar = model.forward_logits(x)
    return bce_logits_per_image(logits, x) + gaussian_kl(mu, logvar)


def run_reference(x: torch.Tensor, y: torch.Tensor, epochs: int, threads: int) -> float:
    """Seconds for `epochs` epochs of the reference example's loop."""
    setup(seed=0, threads=threads)
    model = MLPVAE(latent=20, hidden=400)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loader = torch.utils.data.DataLoader(PILImageDataset(x, y, transforms.ToTensor()),
                                         batch_size=BATCH, shuffle=True)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        train_loss = 0.0
        for xb, _ in loader:
            opt.zero_grad()
            x_hat, mu, logvar = model(xb)
            bce = F.binary_cross_entropy(x_hat.view(-1, 784), xb.view(-1, 784), reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = bce + kld
            loss.backward()
            train_loss += loss.item()
            opt.step()
    return time.perf_counter() - start


def run_fit(x: torch.Tensor, epochs: int, threads: int) -> float:
    """Seconds for `epochs` epochs of course_utils.training.fit with the course's defaults."""
    setup(seed=0, threads=threads)
    model = MLPVAE(latent=20, hidden=400)
    start = time.perf_counter()
    fit(model, vae_loss, x, epochs=epochs, batch_size=BATCH, lr=LR, progress=False)
    return time.perf_counter() - start


def torch_vae_loss(model: MLPVAE, x: torch.Tensor) -> torch.Tensor:
    """The same negative ELBO through torch's F.binary_cross_entropy_with_logits (no checks)."""
    logits, mu, logvar = model.forward_logits(x)
    return (F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
            + (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean())


def run_bare(x: torch.Tensor, epochs: int, threads: int, loss_fn=vae_loss) -> float:
    """Seconds for `epochs` epochs of a minimal hand-written loop with fit's choices (by default its loss too)."""
    setup(seed=0, threads=threads)
    model = MLPVAE(latent=20, hidden=400)
    opt = adam(model, LR)
    g = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    with checks(False):  # no input checks at all (fit checks its first step)
        for _ in range(epochs):
            model.train()
            total = 0.0
            perm = torch.randperm(len(x), generator=g)
            for i in range(0, len(x), BATCH):
                xb = x[perm[i:i + BATCH]]
                loss = loss_fn(model, xb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item()
    return time.perf_counter() - start


def train_flops_per_image(model: torch.nn.Module) -> int:
    """Forward multiply-adds of every Linear layer x 2 FLOPs each x 3 (backward costs about twice the forward)."""
    macs = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear))
    return 2 * 3 * macs


def matmul_gflops(threads: int, n: int = 2048, repeats: int = 3) -> float:
    """Best float32 GFLOP/s of an n x n matmul at `threads` threads (the machine's practical peak)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo where there is one (Linux), else the platform's guess."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_data(n_train: int | None):
    """Full Fashion-MNIST from the machine (no download); MNIST 8,000 if Fashion-MNIST is not here."""
    try:
        data = load_fashion_mnist(n_train=n_train or 60000, n_test=10000, download=False, verbose=False)
        return data, "fashion_mnist"
    except DataNotFoundError:
        data = load_mnist(n_train=min(n_train or 8000, 8000), n_test=2000, verbose=False)
        return data, "mnist (Fashion-MNIST not found on this machine)"


def summary(seconds: list[float], n: int) -> dict:
    med = statistics.median(seconds)
    return {"epoch_seconds": round(med, 3), "examples_per_s": round(n / med),
            "epoch_seconds_range": [round(min(seconds), 3), round(max(seconds), 3)]}


def ratio(values: list[float], digits: int = 2) -> tuple[float, list[float]]:
    v = sorted(values)
    return round(statistics.median(v), digits), [round(v[0], digits), round(v[-1], digits)]


SIDES = ("reference", "fit", "bare", "bare_torch_bce", "matmul")


def run_side(side: str, epochs: int, threads: int, n_train: int | None) -> dict:
    """Child process: time one side once, after a warm-up, and return what the parent needs."""
    if side == "matmul":
        return {"gflop_per_s": matmul_gflops(threads)}
    torch.set_num_threads(threads)
    data, data_name = load_data(n_train)  # loading is not timed
    x, y = data.x_train, data.y_train
    runs = {"reference": lambda xs, ys, e: run_reference(xs, ys, e, threads),
            "fit": lambda xs, ys, e: run_fit(xs, e, threads),
            "bare": lambda xs, ys, e: run_bare(xs, e, threads),
            "bare_torch_bce": lambda xs, ys, e: run_bare(xs, e, threads, torch_vae_loss)}
    runs[side](x[:1024], y[:1024], 1)  # warm-up: first-call set-up (thread pools, allocator, PIL) is not training speed
    seconds = runs[side](x, y, epochs)
    return {"epoch_seconds": seconds / epochs, "n_train": len(x), "data": data_name}


def in_fresh_process(side: str, epochs: int, threads: int, n_train: int | None) -> dict:
    """Run this script with --side in a new Python process and return the JSON line it prints."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--side", side,
           "--epochs", str(epochs), "--threads", str(threads)]
    if n_train is not None:
        cmd += ["--n-train", str(n_train)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"side {side!r} failed (exit code {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def measure(epochs: int, rounds: int, threads: int, n_train: int | None, out: Path) -> dict:
    load_before = os.getloadavg()[0]
    flops = train_flops_per_image(MLPVAE(latent=20, hidden=400))
    times: dict[str, list[float]] = {"reference": [], "fit": [], "bare": [], "bare_torch_bce": []}
    peaks: list[float] = []
    trained = ["fit", "bare", "bare_torch_bce"]
    n, data_name = None, None
    for r in range(rounds):
        order = trained if r % 2 == 0 else trained[::-1]  # alternate which side goes first
        for side in ["reference", *order]:
            res = in_fresh_process(side, epochs, threads, n_train)
            times[side].append(res["epoch_seconds"])
            n, data_name = res["n_train"], res["data"]
        peaks.append(in_fresh_process("matmul", epochs, threads, n_train)["gflop_per_s"])
        print(f"  round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
              + f", matmul {peaks[-1]:.0f} GFLOP/s", flush=True)
    ref, fits, bare = times["reference"], times["fit"], times["bare"]
    peak = max(peaks)
    floor_s = n * flops / (peak * 1e9)
    speedup, speedup_range = ratio([r_ / f for r_, f in zip(ref, fits)])
    overhead, overhead_range = ratio([f / b - 1 for f, b in zip(fits, bare)], 3)
    result = {
        "results": {
            "reference_dataloader": summary(ref, n),
            "fit": summary(fits, n),
            "bare_loop": summary(bare, n),
            "bare_loop_torch_bce": summary(times["bare_torch_bce"], n),
            "flop_floor": {"epoch_seconds": round(floor_s, 3), "gflop_per_s_peak": round(peak, 1),
                           "train_flops_per_image": flops,
                           "gflop_per_s_peak_range": [round(min(peaks), 1), round(peak, 1)]},
        },
        "ratios": {
            "fit_vs_reference": speedup, "fit_vs_reference_range": speedup_range,
            "fit_vs_floor": round(statistics.median(fits) / floor_s, 2),
            "fit_vs_floor_range": [round(min(fits) / floor_s, 2), round(max(fits) / floor_s, 2)],
            "fit_overhead_vs_bare": overhead, "fit_overhead_vs_bare_range": overhead_range,
        },
        "goals": GOALS,
        "data": data_name, "n_train": n, "epochs": epochs, "rounds": rounds, "threads": threads,
        "cpu": cpu_name(), "torch": torch.__version__,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "definitions": {
            "epoch_seconds": "median over rounds of seconds per training epoch; _range is min and max",
            "fit_vs_reference": "median over rounds of reference seconds / fit seconds (speed-up)",
            "fit_vs_floor": "median fit seconds / flop_floor seconds; _range uses the fastest and slowest fit round",
            "fit_overhead_vs_bare": "median over rounds of fit seconds / bare_loop seconds - 1",
            "gflop_per_s_peak": "best float32 2048x2048 matmul over the rounds, at the same thread count",
            "processes": "every side of every round and every matmul peak ran in its own fresh Python process, "
                         "after a one-epoch warm-up on 1,024 images; data loading is not timed",
        },
    }
    write_atomic(out, json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs per side and round (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--n-train", type=int, default=None,
                        help="train on the first N images only (for quick trial runs; default all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON file to write (default {OUT.name})")
    parser.add_argument("--side", choices=SIDES, default=None,
                        help="internal: time one side once in this process and print one JSON line")
    args = parser.parse_args()
    if min(args.epochs, args.rounds, args.threads) < 1 or (args.n_train is not None and args.n_train < 1):
        parser.error("--epochs, --rounds, --threads and --n-train must be at least 1")
    if args.side is not None:
        print(json.dumps(run_side(args.side, args.epochs, args.threads, args.n_train)), flush=True)
        return
    print(f"MLP VAE 784-400-20, batch {BATCH}, {args.n_train or 'all'} training images x {args.epochs} epoch(s), "
          f"{args.threads} threads, {args.rounds} interleaved rounds, each side in a fresh process, "
          f"load average {os.getloadavg()[0]:.2f}")
    res = measure(args.epochs, args.rounds, args.threads, args.n_train, args.out)
    print(f"  data: {res['data']}, {res['n_train']:,} images")
    r, q = res["results"], res["ratios"]
    for key, label in [("reference_dataloader", "reference DataLoader loop"), ("fit", "fit()"),
                       ("bare_loop", "bare loop"), ("bare_loop_torch_bce", "bare loop, torch's BCE")]:
        lo, hi = r[key]["epoch_seconds_range"]
        print(f"  {label:27s} {r[key]['epoch_seconds']:7.2f} s per epoch  (rounds {lo:.2f}-{hi:.2f} s, "
              f"{r[key]['examples_per_s']:,} images/s)")
    floor = r["flop_floor"]
    print(f"  {'FLOP floor':27s} {floor['epoch_seconds']:7.2f} s per epoch  ({floor['train_flops_per_image'] / 1e6:.2f}"
          f" MFLOP per image at {floor['gflop_per_s_peak']} GFLOP/s)")
    print(f"  fit vs reference: {q['fit_vs_reference']}x faster (rounds {q['fit_vs_reference_range'][0]}x to "
          f"{q['fit_vs_reference_range'][1]}x; goal {GOALS['fit_vs_reference']})")
    print(f"  fit vs FLOP floor: {q['fit_vs_floor']}x the floor (rounds {q['fit_vs_floor_range'][0]}x to "
          f"{q['fit_vs_floor_range'][1]}x; goal {GOALS['fit_vs_floor']})")
    print(f"  fit's overhead over the bare loop: {q['fit_overhead_vs_bare']:+.1%} (rounds "
          f"{q['fit_overhead_vs_bare_range'][0]:+.1%} to {q['fit_overhead_vs_bare_range'][1]:+.1%}; "
          f"goal {GOALS['fit_overhead_vs_bare']})")
    print(f"  load average {res['load_average_1min'][0]} before, {res['load_average_1min'][1]} after; "
          f"written to {args.out}")


if __name__ == "__main__":
    main()
