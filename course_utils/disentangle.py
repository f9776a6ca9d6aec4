"""The mutual information gap (MIG) of a code against known factors (Chen et al., 2018), for chapter 09.

For a code z (N images x D latent dimensions) and known factors v (N images x K factors, each a whole
number, e.g. an index into course_utils.factors.FACTORS):

1. discretise every latent dimension into `bins` equal-width bins over its own range
   (a dimension that never changes falls into one bin: it carries no information);
2. I(z_j; v_k): the mutual information, in nats, of each discretised dimension j with each factor k,
   from their joint histogram;
3. for each factor k, the gap between the largest and the second largest I(z_j; v_k) over the
   dimensions j, divided by the factor's entropy H(v_k) so that every factor counts on the same 0-1 scale;
4. MIG = the average of these gaps over the factors.

MIG is near 1 when each factor is captured by exactly one dimension, and near 0 when a factor is
spread over several dimensions (a rotated code), copied into several, or captured by none.
Every function takes torch tensors or NumPy arrays and returns NumPy.
"""
from __future__ import annotations

import numpy as np

BINS = 20   # as in Chen et al. (2018) and Locatello et al. (2019)


def _as_2d(a, what: str) -> np.ndarray:
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{what} must be (N, D): one row per image, got shape {a.shape}")
    return a


def discretize(z, bins: int = BINS) -> np.ndarray:
    """Each column of z cut into `bins` equal-width bins over its own [min, max]; a constant column is all 0."""
    z = _as_2d(z, "z").astype(np.float64)
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    lo, hi = z.min(0), z.max(0)
    width = np.where(hi > lo, hi - lo, 1.0)
    codes = np.floor((z - lo) / width * bins).astype(np.int64)
    codes = np.clip(codes, 0, bins - 1)          # the maximum itself goes into the last bin
    codes[:, hi <= lo] = 0
    return codes


def entropy(v) -> np.ndarray:
    """H(v_k) in nats of each column of whole numbers v, from its frequencies."""
    v = _as_2d(v, "factors")
    out = []
    for col in v.T:
        p = np.unique(col, return_counts=True)[1] / len(col)
        out.append(float(-(p * np.log(p)).sum()))
    return np.array(out)


def mutual_information(a, b) -> np.ndarray:
    """I(a_j; b_k) in nats for every column j of a and k of b (both whole numbers), from joint frequencies."""
    a, b = _as_2d(a, "codes"), _as_2d(b, "factors")
    if len(a) != len(b):
        raise ValueError(f"codes and factors need one row per image each, got {len(a)} and {len(b)} rows")
    mi = np.zeros((a.shape[1], b.shape[1]))
    for j in range(a.shape[1]):
        _, aj = np.unique(a[:, j], return_inverse=True)
        for k in range(b.shape[1]):
            _, bk = np.unique(b[:, k], return_inverse=True)
            joint = np.zeros((aj.max() + 1, bk.max() + 1))
            np.add.at(joint, (aj, bk), 1)
            joint /= len(a)
            pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
            nz = joint > 0
            mi[j, k] = float((joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum())
    return np.maximum(mi, 0.0)   # tiny negative rounding errors are 0


def mig_details(z, factors, bins: int = BINS) -> dict:
    """Everything MIG is made of: the MI matrix (D x K), the factor entropies (K), each factor's gap (K), the MIG."""
    z, factors = _as_2d(z, "z"), _as_2d(factors, "factors")
    if z.shape[1] < 2:
        raise ValueError("MIG needs a code with at least 2 dimensions (it is a gap between the best two)")
    mi = mutual_information(discretize(z, bins), factors)
    h = entropy(factors)
    if (h <= 0).any():
        raise ValueError(f"factor(s) {np.flatnonzero(h <= 0).tolist()} never change in these images; "
                         "MIG divides by a factor's entropy, so leave constant factors out")
    top = np.sort(mi, axis=0)[::-1]              # each column sorted, largest first
    gaps = (top[0] - top[1]) / h
    return {"mi": mi, "entropy": h, "gaps": gaps, "mig": float(gaps.mean())}


def mig(z, factors, bins: int = BINS) -> float:
    """The mutual information gap of code z (N x D) against factors (N x K of whole numbers), between 0 and 1."""
    return mig_details(z, factors, bins)["mig"]
