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
steps (dSprites has six) would give some shapes the same pixels at two scales (the four scales give
four different pictures of every shape at every rotation: tested). Pixels are exactly 0 or 1:
a pixel is 1 when at least half of its 3x3 sub-pixel grid lies inside the shape. So the Bernoulli
decoder of a VAE models a real discrete distribution on these images, with no binarisation needed.

Every one of the 4 x 4 x 6 x 7 x 7 = 4,704 combinations draws a different picture
(tests/test_factors.py checks all of them), so an image and its combination name each other.

``make_factor_images(n, seed)`` returns the images and, alongside, each image's factor values
(as indices into FACTORS); ``render(...)`` draws given factor values; ``load_factors`` wraps
them as a course_utils.data.ImageData (labels = the shape) for the model zoo.

Held-out images: with independent draws, a test image often shows a combination (hence the very
pixels) that a training image has: 8,000 training draws cover about 82% of the 4,704 combinations.
``disjoint=True`` draws the test images only from the combinations that no training image has, so
"held-out" means never seen in training; ``seen_in(test, train)`` says which test images repeat one.
"""
from __future__ import annotations

import functools
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


def combination(idx: torch.Tensor) -> torch.Tensor:
    """The number (0 to 4,703) of each row's factor combination; idx is (N, 5) indices into FACTORS."""
    out = torch.zeros(len(idx), dtype=torch.int64)
    for k, vals in enumerate(FACTORS.values()):
        out = out * len(vals) + idx[:, k]
    return out


def _from_combination(number: torch.Tensor) -> torch.Tensor:
    """The (N, 5) factor indices of combination numbers: the inverse of combination()."""
    cols = []
    for vals in reversed(list(FACTORS.values())):
        cols.append(number % len(vals))
        number = number // len(vals)
    return torch.stack(cols[::-1], dim=1)


@functools.lru_cache(maxsize=1)
def _centred() -> torch.Tensor:
    """Every (shape, scale, rotation) drawn once at the centre, in the order of their indices (kept, not recomputed)."""
    k_shape, k_scale, k_rot = (len(FACTORS[k]) for k in ("shape", "scale", "rotation"))
    s, c, r = torch.meshgrid(torch.arange(k_shape), torch.arange(k_scale), torch.arange(k_rot), indexing="ij")
    return render(s.reshape(-1), torch.tensor(FACTORS["scale"])[c.reshape(-1)],
                  torch.tensor(FACTORS["rotation"], dtype=torch.float32)[r.reshape(-1)], CENTRE, CENTRE)


def _draw(idx: torch.Tensor) -> torch.Tensor:
    """The images (N, 1, 28, 28) of factor indices idx (N, 5).

    Draws each (shape, scale, rotation) once at the centre, then moves it by whole pixels: the same picture
    render() draws at (x, y) (tests/test_factors.py checks it), many times faster."""
    k_scale, k_rot = len(FACTORS["scale"]), len(FACTORS["rotation"])
    centred = _centred()
    which = (idx[:, 0] * k_scale + idx[:, 1]) * k_rot + idx[:, 2]
    images = torch.empty(len(idx), 1, SIZE, SIZE)
    for i, x in enumerate(FACTORS["x"]):
        for j, y in enumerate(FACTORS["y"]):
            sel = (idx[:, 3] == i) & (idx[:, 4] == j)
            images[sel] = torch.roll(centred[which[sel]], shifts=(y - CENTRE, x - CENTRE), dims=(2, 3))
    return images


def all_combinations() -> FactorImages:
    """Every one of the 4,704 factor combinations once, in the order of combination()."""
    idx = _from_combination(torch.arange(math.prod(len(v) for v in FACTORS.values())))
    return FactorImages(_draw(idx), idx)


def make_factor_images(n: int, seed: int = 0) -> FactorImages:
    """n images whose five factors are drawn independently and uniformly from FACTORS, with torch seed `seed`.

    The same (n, seed) always gives the same images and factors."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack([torch.randint(len(vals), (n,), generator=g) for vals in FACTORS.values()], dim=1)
    return FactorImages(_draw(idx), idx)


def seen_in(test: FactorImages, train: FactorImages) -> torch.Tensor:
    """For each image of `test`: does some image of `train` show the same combination (hence the same pixels)?"""
    return torch.isin(combination(test.factors), combination(train.factors))


def _check_sizes(n_train, n_test) -> None:
    for what, n in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{what} must be a positive integer (a model needs images to train on and to be "
                             f"tested on), got {n!r}; the zoo's split is n_train=8000, n_test=2000.")


def load_factors_with_truth(n_train: int = 8000, n_test: int = 2000, seed: int = 0, *, disjoint: bool = False,
                            test_seed: int | None = None) -> tuple[FactorImages, FactorImages]:
    """Train and test factor images with all five factors: (train, test).

    The training images are the first n_train of make_factor_images(n_train + n_test, seed), always.
    disjoint=False: the test images are the remaining n_test of that draw (the zoo's split; most of them show a
    combination some training image has). disjoint=True: n_test images drawn uniformly (torch seed `test_seed`,
    by default `seed`) from the combinations that no training image has, so none repeats a training image."""
    _check_sizes(n_train, n_test)
    data = make_factor_images(n_train + n_test, seed=seed)
    train = FactorImages(data.images[:n_train], data.factors[:n_train])
    if not disjoint:
        return train, FactorImages(data.images[n_train:], data.factors[n_train:])
    total = math.prod(len(v) for v in FACTORS.values())
    unseen = torch.ones(total, dtype=torch.bool)
    unseen[combination(train.factors)] = False
    free = torch.nonzero(unseen)[:, 0]
    if len(free) == 0:
        raise ValueError(f"the {n_train:,} training images show all {total:,} combinations, so no combination is "
                         "left for a disjoint test set; use fewer training images")
    g = torch.Generator().manual_seed(1_000_003 + (seed if test_seed is None else test_seed))
    idx = _from_combination(free[torch.randint(len(free), (n_test,), generator=g)])
    return train, FactorImages(_draw(idx), idx)


def load_factors(n_train: int = 8000, n_test: int = 2000, seed: int = 0, *, disjoint: bool = False,
                 test_seed: int | None = None) -> ImageData:
    """Train and test factor images as an ImageData (labels = shape index): load_factors_with_truth's images.

    The zoo trains chapter 09's models on load_factors(8000, 2000, seed=0), the split with disjoint=False."""
    train, test = load_factors_with_truth(n_train, n_test, seed, disjoint=disjoint, test_seed=test_seed)
    unseen = "; test images of combinations unseen in training" if disjoint else ""
    note = (f"factors: {n_train:,} train / {n_test:,} test images from course_utils.factors "
            f"(seed {seed}{unseen}; labels = shape)")
    return ImageData("factors", train.images, train.factors[:, 0].clone(), test.images, test.factors[:, 0].clone(),
                     list(SHAPES), note)
