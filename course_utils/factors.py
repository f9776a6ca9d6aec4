"""Images whose true factors are known: a seeded, dSprites-like generator at MNIST size (chapter 09).

Each image is one white shape on a black 28x28 background, drawn from five factors:

========  ==========================================  ==========
factor    values                                      how many
========  ==========================================  ==========
shape     square, ellipse, heart, triangle            4
scale     the shape's size, 0.5 to 1.0 of the largest 4
rotation  0, 15, ..., 75 degrees (counter-clockwise)  6
x         the centre's column, 8 to 20 pixels         7
y         the centre's row, 8 to 20 pixels (down)     7
========  ==========================================  ==========

Rotations stay below 90 degrees, so no two rotation values give the same picture of a square
(whose symmetry is 90 degrees), an ellipse (180) or a triangle (120). Only four scales: at 28x28, finer
steps (dSprites has six) would give some shapes the same pixels at two scales. Pixels are exactly 0 or 1:
a pixel is 1 when at least half of its 3x3 sub-pixel grid lies inside the shape. So the Bernoulli
decoder of a VAE models a real discrete distribution on these images, with no binarisation needed.

``make_factor_images(n, seed)`` returns the images and, alongside, each image's factor values
(as indices into FACTORS); ``render(...)`` draws given factor values; ``load_factors`` wraps
them as a course_utils.data.ImageData (labels = the shape) for the model zoo.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from course_utils.data import ImageData

SIZE = 28
CENTRE = 14     # render() draws every shape here first; make_factor_images moves it by whole pixels
SHAPES = ("square", "ellipse", "heart", "triangle")
FACTORS: dict[str, tuple] = {
    "shape": SHAPES,
    "scale": tuple(round(0.5 + i / 6, 2) for i in range(4)),     # 0.5, 0.67, 0.83, 1.0
    "rotation": tuple(15 * i for i in range(6)),
    "x": tuple(range(8, 21, 2)),
    "y": tuple(range(8, 21, 2)),
}
NAMES = tuple(FACTORS)
RADIUS = 6.0      # pixels: the half-width of a shape at scale 1.0
SUBPIXELS = 3     # each pixel is tested at 3x3 points; it is on when at least half of them are inside


@dataclass
class FactorImages:
    """images (N, 1, 28, 28) with pixels 0 or 1, factors (N, 5) int64 indices into FACTORS, in NAMES order."""

    images: torch.Tensor
    factors: torch.Tensor
    names: tuple = NAMES

    def values(self, name: str) -> torch.Tensor:
        """The factor `name` of every image in its own units (shape as 0-3, degrees, pixels)."""
        if name not in FACTORS:
            raise KeyError(f"no factor {name!r}; the factors are {', '.join(NAMES)}")
        k = NAMES.index(name)
        if name == "shape":
            return self.factors[:, k].clone()
        return torch.tensor(FACTORS[name], dtype=torch.float32)[self.factors[:, k]]

    def __len__(self) -> int:
        return len(self.images)


def _inside(shape: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Is the point (u, v) of the shape's own frame (radius 1, v pointing up) inside the shape?"""
    square = (u.abs() <= 0.8) & (v.abs() <= 0.8)
    ellipse = u ** 2 + (v / 0.55) ** 2 <= 1
    hu, hv = u / 0.9, v / 0.9 + 0.15          # the heart curve (x^2 + y^2 - 1)^3 <= x^2 y^3, centred
    heart = (hu ** 2 + hv ** 2 - 1) ** 3 <= hu ** 2 * hv ** 3
    triangle = torch.ones_like(u, dtype=torch.bool)
    for a in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3, math.pi / 2 + 4 * math.pi / 3):
        # the equilateral triangle with circumradius 1 (a vertex pointing up) has inradius 1/2
        normal = a + math.pi / 3                  # outward normal of the edge from vertex a to a + 120 degrees
        triangle &= u * math.cos(normal) + v * math.sin(normal) <= 0.5
    s = shape.view(-1, 1, 1)
    return torch.where(s == 0, square, torch.where(s == 1, ellipse, torch.where(s == 2, heart, triangle)))


def render(shape, scale, rotation, x, y) -> torch.Tensor:
    """Draw images from factor values (each a number or a 1-D sequence of equal length, in their own units:
    shape 0-3 or its name, scale as a fraction, rotation in degrees, x and y in pixels). Returns (N, 1, 28, 28)."""
    if isinstance(shape, str) or (isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], str)):
        names = [shape] if isinstance(shape, str) else list(shape)
        bad = [s for s in names if s not in SHAPES]
        if bad:
            raise ValueError(f"unknown shape {bad[0]!r}; choose one of {', '.join(SHAPES)}")
        shape = [SHAPES.index(s) for s in names]
    cols = [torch.as_tensor(v, dtype=torch.float32).reshape(-1) for v in (shape, scale, rotation, x, y)]
    n = max(len(c) for c in cols)
    if any(len(c) not in (1, n) for c in cols):
        raise ValueError(f"factor values must all have the same length (or length 1), got {[len(c) for c in cols]}")
    shape, scale, rotation, x, y = (c.expand(n) for c in cols)
    if not bool(((shape >= 0) & (shape < len(SHAPES)) & (shape == shape.round())).all()):
        raise ValueError("shape must be an integer 0-3 (square, ellipse, heart, triangle) or a shape name")
    offsets = (torch.arange(SUBPIXELS, dtype=torch.float32) + 0.5) / SUBPIXELS - 0.5
    grid = (torch.arange(SIZE, dtype=torch.float32)[:, None] + offsets[None, :]).reshape(-1)   # sub-pixel centres
    rows, cols_ = torch.meshgrid(grid, grid, indexing="ij")
    out = []
    for start in range(0, n, 1000):                              # in chunks, to keep memory small
        sl = slice(start, start + 1000)
        r = (scale[sl] * RADIUS).view(-1, 1, 1)
        dx, dy = cols_ + 0.5 - x[sl].view(-1, 1, 1), -(rows + 0.5 - y[sl].view(-1, 1, 1))   # v points up
        t = torch.deg2rad(rotation[sl]).view(-1, 1, 1)
        u = (dx * torch.cos(t) + dy * torch.sin(t)) / r          # rotate the point by -t: the shape turns by +t
        v = (-dx * torch.sin(t) + dy * torch.cos(t)) / r
        hit = _inside(shape[sl].long(), u, v).float()
        cover = hit.view(-1, SIZE, SUBPIXELS, SIZE, SUBPIXELS).mean((2, 4))
        out.append((cover >= 0.5).float())
    return torch.cat(out).unsqueeze(1)


def make_factor_images(n: int, seed: int = 0) -> FactorImages:
    """n images whose five factors are drawn independently and uniformly from FACTORS, with torch seed `seed`.

    The same (n, seed) always gives the same images and factors."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack([torch.randint(len(vals), (n,), generator=g) for vals in FACTORS.values()], dim=1)
    # Draw each (shape, scale, rotation) once at the centre, then move it by whole pixels: the same picture
    # render() draws at (x, y) (tests/test_factors.py checks it), many times faster.
    k_shape, k_scale, k_rot = (len(FACTORS[k]) for k in ("shape", "scale", "rotation"))
    s, c, r = torch.meshgrid(torch.arange(k_shape), torch.arange(k_scale), torch.arange(k_rot), indexing="ij")
    centred = render(s.reshape(-1), torch.tensor(FACTORS["scale"])[c.reshape(-1)],
                     torch.tensor(FACTORS["rotation"], dtype=torch.float32)[r.reshape(-1)], CENTRE, CENTRE)
    which = (idx[:, 0] * k_scale + idx[:, 1]) * k_rot + idx[:, 2]
    images = torch.empty(n, 1, SIZE, SIZE)
    for i, x in enumerate(FACTORS["x"]):
        for j, y in enumerate(FACTORS["y"]):
            sel = (idx[:, 3] == i) & (idx[:, 4] == j)
            images[sel] = torch.roll(centred[which[sel]], shifts=(y - CENTRE, x - CENTRE), dims=(2, 3))
    return FactorImages(images, idx)


def load_factors(n_train: int = 8000, n_test: int = 2000, seed: int = 0) -> ImageData:
    """Train and test factor images as an ImageData (labels = shape index), drawn with one seed."""
    data = make_factor_images(n_train + n_test, seed=seed)
    x, y = data.images, data.factors[:, 0].clone()
    note = (f"factors: {n_train:,} train / {n_test:,} test images from course_utils.factors "
            f"(seed {seed}; labels = shape)")
    return ImageData("factors", x[:n_train], y[:n_train], x[n_train:], y[n_train:], list(SHAPES), note)


def load_factors_with_truth(n_train: int = 8000, n_test: int = 2000, seed: int = 0) -> tuple[FactorImages, FactorImages]:
    """The same images as load_factors(n_train, n_test, seed), with all five factors: (train, test)."""
    data = make_factor_images(n_train + n_test, seed=seed)
    return (FactorImages(data.images[:n_train], data.factors[:n_train]),
            FactorImages(data.images[n_train:], data.factors[n_train:]))
