"""Greedy unit matching and exact enumeration of type profiles (double auctions).

For weights a_i (buyers) and b_j (sellers) and public capacities, the ex-post
problem max sum_i a_i q_i - sum_j b_j r_j s.t. sum_i q_i = sum_j r_j,
0 <= q_i <= D_i, 0 <= r_j <= S_j is solved by trading units in order: the
t-th highest buyer unit with the t-th lowest seller unit while a > b. The
optimal broker (weights = virtual values), the first best (weights = values)
and the LP's pricing step all use it.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from grids.auction import AuctionSetting

CHUNK_ROWS = 2**17  # profiles handled at once by the enumerators (a few MiB per array)


def greedy_trades(
    buyer_w: np.ndarray, seller_w: np.ndarray, demand: tuple[int, ...], supply: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Units each agent trades under greedy matching, per profile.

    Parameters
    ----------
    buyer_w : (S, m) array
        Buyer weights a_i per profile.
    seller_w : (S, n) array
        Seller weights b_j per profile.
    demand, supply : tuple of int
        Capacities D_i and S_j.

    Returns
    -------
    q : (S, m) array
        Units bought; ties go to the lower index.
    r : (S, n) array
        Units sold; sum q = sum r per profile.
    """
    rows, m = buyer_w.shape
    n = seller_w.shape[1]
    b_owner = np.repeat(np.arange(m), demand)
    s_owner = np.repeat(np.arange(n), supply)
    b_order = np.argsort(-buyer_w[:, b_owner], axis=1, kind="stable")
    s_order = np.argsort(seller_w[:, s_owner], axis=1, kind="stable")
    units = min(len(b_owner), len(s_owner))
    b_top = np.take_along_axis(buyer_w[:, b_owner], b_order[:, :units], axis=1)
    s_top = np.take_along_axis(seller_w[:, s_owner], s_order[:, :units], axis=1)
    traded = (b_top > s_top).sum(axis=1)  # a_(t) - b_(t) decreases in t: trades form a prefix
    live = np.arange(units) < traded[:, None]
    base = np.arange(rows)[:, None]
    q = np.bincount((base * m + b_owner[b_order[:, :units]]).ravel(), weights=live.ravel(), minlength=rows * m)
    r = np.bincount((base * n + s_owner[s_order[:, :units]]).ravel(), weights=live.ravel(), minlength=rows * n)
    return q.reshape(rows, m), r.reshape(rows, n)


def profile_chunks(
    setting: AuctionSetting, chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """All type profiles of a discrete setting, in chunks.

    Yields
    ------
    bids : (S, m) array, asks : (S, n) array, prob : (S,) array
        Profiles and their probabilities prod_i p(v_i) prod_j p(s_j); over all
        chunks the probabilities sum to 1.
    """
    if not setting.is_discrete:
        raise ValueError("profile enumeration needs discrete laws (pass grid=K)")
    vb, pb = setting.values.support_array()
    vs, ps = setting.costs.support_array()
    m, n = setting.buyers, setting.sellers
    shape = (len(vb),) * m + (len(vs),) * n
    total = setting.profiles
    for start in range(0, total, chunk_rows):
        idx = np.unravel_index(np.arange(start, min(start + chunk_rows, total)), shape)
        bi = np.stack(idx[:m], axis=1) if m else np.zeros((len(idx[0]), 0), int)
        si = np.stack(idx[m:], axis=1)
        prob = pb[bi].prod(axis=1) * ps[si].prod(axis=1)
        yield vb[bi], vs[si], prob
