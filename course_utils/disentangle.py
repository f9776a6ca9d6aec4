"""The mutual information gap (MIG) of a code against known factors, for chapter 09.

MIG is defined by Chen et al. (2018). This module *estimates* it as disentanglement_lib does
(Locatello et al., 2019): a histogram of the posterior means, not Chen et al.'s estimator. For a code z
(N images x J latent dimensions, usually the posterior means) and known factors v (N images x K factors,
each a whole number, e.g. an index into course_utils.factors.FACTORS):

1. discretise every latent dimension into `bins` equal-width bins over its own range
   (a dimension that never changes falls into one bin: it carries no information);
2. I(z_j; v_k): the mutual information, in nats, of each discretised dimension j with each factor k,
   from their joint histogram;
3. for each factor k, the gap between the largest and the second largest I(z_j; v_k) over the
   dimensions j, divided by the factor's entropy H(v_k) so that every factor counts on the same 0-1 scale;
4. MIG = the average of these gaps over the factors.

MIG is near 1 when each factor is captured by exactly one dimension, and near 0 when a factor is
spread over several dimensions (a mixed code), copied into several, or captured by none.

What the histogram counts. Chen et al. estimate I(z_j; v_k) from *sampled* codes z_j ~ q(z_j|x), without
bins; then an inactive dimension (posterior = prior, KL ~ 0) has I ~ 0, since I(z_j; x) <= its KL. The
histogram of *means* is blind to scale: each dimension is cut over its own range, however tiny. So an
inactive dimension whose mean still wiggles with a factor by 0.001 is spread over 20 bins and can score
as much MI as an active one (tests/test_disentangle.py plants one). Pass `keep=` (e.g. the active units,
course_utils.diagnostics.unit_activity(mu) > 0.01) to leave such dimensions out.
Every function takes torch tensors or NumPy arrays and returns NumPy.
"""
from __future__ import annotations

import numpy as np

BINS = 20   # disentanglement_lib's default (Locatello et al., 2019); Chen et al. (2018) use no bins


def _as_2d(a, what: str) -> np.ndarray:
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{what} must be (N, J): one row per image, got shape {a.shape}")
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = ~np.isfinite(a)
        raise ValueError(f"{what} holds {int(bad.sum())} NaN or infinite values, in {int(bad.any(1).sum())} of "
                         f"{len(a)} rows and columns {np.flatnonzero(bad.any(0)).tolist()}: no MI can be measured. "
                         "NaN codes come from a model whose training diverged (a NaN loss, an exploding logvar: "
                         "chapter 08's check_vae finds it) or from images outside [0, 1]; fix the model or its "
                         "inputs, do not drop the rows.")
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


def mig_details(z, factors, bins: int = BINS, keep=None) -> dict:
    """Everything MIG is made of: the MI matrix (J x K), the factor entropies (K), each factor's gap (K), the MIG.

    keep: optional booleans, one per dimension; the dimensions not kept count as carrying no information
    (their rows of the MI matrix are 0), e.g. keep = the active units, to leave inactive dimensions out."""
    z, factors = _as_2d(z, "z"), _as_2d(factors, "factors")
    if z.shape[1] < 2:
        raise ValueError("MIG needs a code with at least 2 dimensions (it is a gap between the best two)")
    mi = mutual_information(discretize(z, bins), factors)
    if keep is not None:
        keep = keep.detach().cpu().numpy() if hasattr(keep, "detach") else np.asarray(keep)
        if keep.dtype != bool or keep.shape != (z.shape[1],):
            raise ValueError(f"keep must be {z.shape[1]} booleans, one per latent dimension, got "
                             f"{keep.dtype} of shape {keep.shape}")
        mi[~keep] = 0.0
    h = entropy(factors)
    if (h <= 0).any():
        raise ValueError(f"factor(s) {np.flatnonzero(h <= 0).tolist()} never change in these images; "
                         "MIG divides by a factor's entropy, so leave constant factors out")
    top = np.sort(mi, axis=0)[::-1]              # each column sorted, largest first
    gaps = (top[0] - top[1]) / h
    return {"mi": mi, "entropy": h, "gaps": gaps, "mig": float(gaps.mean())}


def mig(z, factors, bins: int = BINS, keep=None) -> float:
    """The mutual information gap of code z (N x J) against factors (N x K of whole numbers), between 0 and 1."""
    return mig_details(z, factors, bins, keep)["mig"]
