"""Expected profit of a finite menu on the continuous type space (DESIGN §1, §1.3).

:func:`evaluate_menu` returns E_f[p_k(x) - <a_k(x), phi(x)>] for the item k(x)
a type x chooses: exact for the uniform law on the box or on a polytope,
randomized QMC for other product densities (inverse CDFs) and for formula
densities (uniform Sobol points weighted by f), a sample average for sample
files. For a menu extracted from a grid solution (and an exact method) it is a
true lower bound on the continuous optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse, spatial
from scipy.stats import qmc

from grids import InvalidInput, KernelDensity, ProductDistribution, SampleDistribution, Setting
from grids.densities import FormulaDensity, PolytopeUniform

DEDUPE_TOL = 1e-12    # items whose (a, p) agree to this are one item (profits differ by <= ~1e-12)
RADIUS_TOL = 1e-12    # regions with a smaller inscribed ball are empty or flat (volume <= ~2 n^1.5 r)
THIN_TOL = 1e-10      # qhull may fail on slivers thinner than this; they are dropped
NEIGHBOUR_TOL = 1e-9  # lifted vertices within this of an item's hyperplane make it a candidate neighbour
TIE_TOL = 1e-12       # sampled types: utilities this close to the best count as tied
CHUNK_ENTRIES = 4_000_000  # (points x items) entries evaluated at once (32 MB of float64)


@dataclass(frozen=True)
class MenuProfit:
    """Expected profit of a menu; see :func:`evaluate_menu`.

    Attributes
    ----------
    value : float
        E_f[p_k(x) - <a_k(x), phi(x)>] over the continuous type space.
    stderr : float
        Standard error of ``value``; 0.0 when exact, nan when it cannot be estimated.
    method : str
        ``"exact"`` (uniform on the box or a polytope), ``"qmc"`` (product densities),
        ``"qmc-weighted"`` (formula densities), ``"empirical"`` (samples) or ``"monte-carlo"``
        (kernel densities).
    masses : np.ndarray, shape (K,)
        P(item k is chosen) for each given item; the implicit no-trade item's
        mass is left out unless (0, 0) is among the given items.
    """

    value: float          # expected profit of the menu on the continuous type space
    stderr: float         # 0.0 when exact
    method: str           # "exact", "qmc", "qmc-weighted", "empirical" or "monte-carlo"
    masses: np.ndarray    # P(each given item is chosen), shape (K,)


def _check_menu(setting: Setting, allocations: np.ndarray, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, a, p = setting.n, np.asarray(allocations, dtype=np.float64), np.asarray(prices, dtype=np.float64).ravel()
    a = a[:, None] if a.ndim == 1 and n == 1 else a
    if a.ndim != 2 or a.shape[1] != n or a.shape[0] != p.shape[0]:
        raise InvalidInput(f"menu has allocations of shape {a.shape} and {p.shape[0]} prices; "
                           f"expected shapes (K, {n}) and (K,)")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(p))):
        raise InvalidInput("menu allocations and prices must be finite")
    return a, p


def _dedupe(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given items plus the no-trade item, merged when (a, p) agree to DEDUPE_TOL.

    Returns the distinct allocations, prices and, for each of them, the index of
    the first given item it stands for (K for the implicit no-trade item).
    """
    full = np.vstack([np.column_stack([a, p]), np.zeros((1, a.shape[1] + 1))])
    keep: list[int] = []
    for i in range(full.shape[0]):
        if not keep or np.min(np.max(np.abs(full[keep] - full[i]), axis=1)) > DEDUPE_TOL:
            keep.append(i)
    return full[keep, :-1], full[keep, -1], np.asarray(keep)


def _region_1d(A: np.ndarray, P: np.ndarray, k: int, G: np.ndarray, h: np.ndarray) -> tuple[float, np.ndarray]:
    """Length and midpoint of {x in [0,1] : (a_k - a_j) x >= p_k - p_j for all j, G x + h <= 0}."""
    da, dp = A[k, 0] - A[:, 0], P[k] - P
    if np.any((np.abs(da) <= DEDUPE_TOL) & (dp > DEDUPE_TOL)):
        return 0.0, np.zeros(1)  # a copy of this allocation is cheaper
    pos, neg = da > DEDUPE_TOL, da < -DEDUPE_TOL
    g = G[:, 0]
    lo = max([0.0, *(dp[pos] / da[pos]), *(-h[g < 0] / g[g < 0])])
    hi = min([1.0, *(dp[neg] / da[neg]), *(-h[g > 0] / g[g > 0])])
    return max(hi - lo, 0.0), np.array([0.5 * (lo + hi)])


def _neighbours(A: np.ndarray, P: np.ndarray) -> list[np.ndarray] | None:
    """For each item, the items whose hyperplanes meet its own on the graph of u.

    One qhull call on the lifted body {(x, t) : t >= <a_k, x> - p_k, x in [0,1]^n}
    gives the vertices of the graph of u; items within NEIGHBOUR_TOL of u at a
    common vertex are candidate neighbours (a superset, so each region stays
    exact). An item active at no vertex has an empty region. None: qhull failed.
    """
    K, n = A.shape
    u_mid = float(np.max(A @ np.full(n, 0.5) - P))
    top = float(np.max(np.maximum(A, 0.0).sum(axis=1) - P)) + 1.0
    hs = np.vstack([np.column_stack([A, -np.ones(K), -P]), np.c_[-np.eye(n), np.zeros((n, 2))],
                    np.c_[np.eye(n), np.zeros(n), -np.ones(n)], np.r_[np.zeros(n), 1.0, -top][None, :]])
    try:
        verts = spatial.HalfspaceIntersection(hs, np.r_[np.full(n, 0.5), u_mid + 0.5]).intersections
    except spatial.QhullError:
        return None
    rows, cols, step = [], [], max(1, CHUNK_ENTRIES // K)
    for s in range(0, len(verts), step):
        v = verts[s:s + step]
        gap = v[:, -1:] - (v[:, :-1] @ A.T - P)                       # >= 0 up to rounding
        r, c = np.nonzero(gap <= NEIGHBOUR_TOL * (1.0 + np.abs(v[:, -1:])))
        rows, cols = rows + [r + s], cols + [c]
    r, c = np.concatenate(rows), np.concatenate(cols)
    active = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(verts), K))
    adj = (active.T @ active).tocsr()
    return [adj.indices[adj.indptr[k]:adj.indptr[k + 1]] for k in range(K)]


def _chebyshev_centre(G: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, float]:
    """argmax_x min_i -(G_i x + h_i) for unit rows G_i, and that true inscribed radius.

    The LP (max r s.t. G x + r <= -h) is solved by HiGHS to ~1e-10, then its
    vertex is re-solved from the active rows by least squares (to ~1e-16), so
    slivers much thinner than the LP tolerance still get a strictly inside point.
    """
    n = G.shape[1]
    M = np.column_stack([G, np.ones(len(G))])
    tols = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    lp = optimize.linprog(np.r_[np.zeros(n), -1.0], A_ub=M, b_ub=-h, bounds=[(None, None)] * n + [(None, 1.0)],
                          method="highs", options=tols)
    if lp.status != 0:
        raise RuntimeError(f"Chebyshev-centre LP failed: {lp.message}")
    act = lp.slack <= 1e-8
    polished = [np.linalg.lstsq(M[act], -h[act], rcond=None)[0][:n]] if act.sum() > n else []
    return max(((x, float(np.min(-(G @ x + h)))) for x in [lp.x[:n], *polished]), key=lambda xr: xr[1])


def _region_nd(A: np.ndarray, P: np.ndarray, k: int, nb: np.ndarray, Gs: np.ndarray, hs: np.ndarray
               ) -> tuple[float, np.ndarray]:
    """Volume and centroid of {x in [0,1]^n : <a_j - a_k, x> + p_k - p_j <= 0 for all j in nb, Gs x + hs <= 0}.

    Halfspaces G x + h <= 0 (unit rows); interior point = Chebyshev centre; vertices
    by qhull; volume and centroid from cones over the triangulated hull facets.
    """
    n, empty = A.shape[1], (0.0, np.zeros(A.shape[1]))
    G, h = A[nb] - A[k], P[k] - P[nb]
    norm = np.linalg.norm(G, axis=1)
    flat = norm <= DEDUPE_TOL
    if nb.size == 0 or np.any(flat & (h > DEDUPE_TOL)):
        return empty  # active at no vertex of u, or a copy of this allocation is cheaper
    G = np.vstack([G[~flat] / norm[~flat, None], -np.eye(n), np.eye(n), Gs])
    h = np.concatenate([h[~flat] / norm[~flat], np.zeros(n), -np.ones(n), hs])
    centre, radius = _chebyshev_centre(G, h)
    if radius < RADIUS_TOL:
        return empty
    try:
        hull = spatial.ConvexHull(spatial.HalfspaceIntersection(np.column_stack([G, h]), centre).intersections)
    except spatial.QhullError:
        if radius < THIN_TOL:   # a sliver qhull cannot resolve: volume <= ~2 n^1.5 radius
            return empty
        raise
    simp = hull.points[hull.simplices] - centre          # (F, n, n): facet simplices seen from the centre
    vol = np.abs(np.linalg.det(simp)) / np.prod(np.arange(1, n + 1))
    total = float(vol.sum())
    if total <= 0.0:
        return empty
    cent = centre + (vol[:, None] * simp.sum(axis=1)).sum(axis=0) / ((n + 1) * total)
    return total, cent


def _support(setting: Setting) -> tuple[np.ndarray, np.ndarray, float]:
    """The support S = {x : G x + h <= 0} in [0,1]^n of a uniform law (unit rows; none for the box), and vol(S)."""
    dist = setting.dist
    if not isinstance(dist, PolytopeUniform):
        return np.zeros((0, setting.n)), np.zeros(0), 1.0
    norm = np.linalg.norm(dist.A, axis=1)
    return dist.A / norm[:, None], -dist.b / norm, dist.volume


def _exact_uniform(setting: Setting, a: np.ndarray, p: np.ndarray, **_: object) -> MenuProfit:
    """Sum over items of vol(R_k ∩ S) / vol(S) (p_k - <a_k, c + alpha (centroid(R_k ∩ S) - c)>).

    S is the support (the box, or the polytope of a :class:`PolytopeUniform`);
    the neighbours of each item on the box are a superset of those on S, so
    each clipped region is exact.
    """
    Gs, hs, volume = _support(setting)
    A, P, origin = _dedupe(a, p)
    c, alpha = setting.c, setting.alpha
    masses, value = np.zeros(len(p) + 1), 0.0
    nbs = _neighbours(A, P) if setting.n > 1 else None
    for k in range(len(P)):
        if setting.n == 1:
            vol, cent = _region_1d(A, P, k, Gs, hs)
        else:
            vol, cent = _region_nd(A, P, k, np.arange(len(P)) if nbs is None else nbs[k], Gs, hs)
        if vol > 0.0:
            masses[origin[k]] += vol / volume
            value += vol / volume * (P[k] - float(A[k] @ (c + alpha * (cent - c))))
    return MenuProfit(value=float(value), stderr=0.0, method="exact", masses=masses[:-1])


def _sampled(setting: Setting, a: np.ndarray, p: np.ndarray, x: np.ndarray,
             weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Market-maker profit p_k - <a_k, phi(x)> at each type x, and the (weighted) fraction of x choosing each item.

    Among items (no trade included) within TIE_TOL of the best utility the one
    with the larger market-maker profit wins. ``weights`` (mean 1) weight the
    points in the fractions; None: equal weights.
    """
    A, P, c, alpha = np.vstack([a, np.zeros((1, a.shape[1]))]), np.r_[p, 0.0], setting.c, setting.alpha
    step = max(1, CHUNK_ENTRIES // len(P))
    choice, profit = np.empty(len(x), dtype=np.int64), np.empty(len(x))
    for s in range(0, len(x), step):
        xs = x[s:s + step]
        util = xs @ A.T - P
        prof = P - (c + alpha * (xs - c)) @ A.T
        tied = util >= util.max(axis=1, keepdims=True) - TIE_TOL
        best = np.argmax(np.where(tied, prof, -np.inf), axis=1)
        choice[s:s + step] = best
        profit[s:s + step] = prof[np.arange(len(xs)), best]
    return profit, np.bincount(choice, weights=weights, minlength=len(P))[:-1] / len(x)


def evaluate_menu(setting: Setting, allocations: np.ndarray, prices: np.ndarray, *, seed: int = 0,
                  qmc_points: int = 2**15, replicates: int = 16) -> MenuProfit:
    """Expected market-maker profit E_f[p_k(x) - <a_k(x), phi(x)>] of a menu.

    The type x chooses k(x) = argmax_k <a_k, x> - p_k over the given items and
    the no-trade item (0, 0); phi(x) = c + alpha (x - c).

    Parameters
    ----------
    setting : grids.Setting
        Dimension n, belief c, alpha and the type law f.
    allocations : np.ndarray, shape (K, n)
        Item allocations a_k (any real vectors; (K,) is accepted for n = 1).
    prices : np.ndarray, shape (K,)
        Item prices p_k (negative: the trader is paid).
    seed : int
        Seeds the scrambled Sobol sets (QMC only).
    qmc_points : int
        Points per QMC replicate (a power of 2 keeps Sobol balanced).
    replicates : int
        Independent scrambles; stderr = std(replicate means, ddof=1) / sqrt(replicates).

    Returns
    -------
    MenuProfit
        - uniform law, ``exact``: region R_k = {x : <a_k - a_j, x> >= p_k - p_j for all j}
          is a polytope and the integrand affine, so it adds vol(R_k) (p_k - <a_k, phi(centroid)>).
          Ties have measure zero; items equal to 1e-12 are merged, mass to the first.
        - uniform on a polytope S, ``exact``: the same with R_k ∩ S, divided by vol(S).
        - other product densities, ``qmc``: scrambled Sobol mapped by inverse CDFs.
        - formula densities, ``qmc-weighted``: scrambled Sobol points y uniform on the box,
          each weighted by f(y) / integral f (the law's own normalization, composite
          Gauss-Legendre); stderr from the replicates as for ``qmc``.
        - sample files, ``empirical``: mean over the points, stderr = std / sqrt(m) (error
          w.r.t. the population); ties (utilities within 1e-12) go to the larger profit.

    Raises
    ------
    InvalidInput
        Mismatched shapes or non-finite entries, or nonpositive QMC sizes.
    """
    a, p = _check_menu(setting, allocations, prices)
    if qmc_points < 1 or replicates < 1:
        raise InvalidInput(f"qmc_points = {qmc_points} and replicates = {replicates} must be positive")
    evaluator = EVALUATORS.get(type(setting.dist))
    if evaluator is None:
        raise InvalidInput(f"no menu evaluation for distribution {setting.dist!r}")
    return evaluator(setting, a, p, seed=seed, qmc_points=qmc_points, replicates=replicates)


def _empirical(setting: Setting, a: np.ndarray, p: np.ndarray, **_: object) -> MenuProfit:
    """Mean over the sample's types; stderr = std / sqrt(m)."""
    profit, masses = _sampled(setting, a, p, np.asarray(setting.dist.points, dtype=np.float64))
    m = len(profit)
    stderr = float(np.std(profit, ddof=1) / np.sqrt(m)) if m > 1 else float("nan")  # nan: one type
    return MenuProfit(value=float(profit.mean()), stderr=stderr, method="empirical", masses=masses)


def _kernel(setting: Setting, a: np.ndarray, p: np.ndarray, *, seed: int, qmc_points: int, replicates: int
            ) -> MenuProfit:
    """Monte Carlo over the kernel density: per replicate ``qmc_points`` i.i.d. draws (seeded);
    stderr = std of the replicate means / sqrt(replicates)."""
    rng, means, masses = np.random.default_rng(seed), np.empty(replicates), np.zeros(len(p))
    for r in range(replicates):
        profit, mass = _sampled(setting, a, p, setting.dist.sample(rng, qmc_points, setting.n))
        means[r] = profit.mean()
        masses += mass / replicates
    stderr = float(np.std(means, ddof=1) / np.sqrt(replicates)) if replicates > 1 else float("nan")
    return MenuProfit(value=float(means.mean()), stderr=stderr, method="monte-carlo", masses=masses)


def _qmc(setting: Setting, a: np.ndarray, p: np.ndarray, *, seed: int, qmc_points: int, replicates: int,
         method: str = "qmc") -> MenuProfit:
    """Randomized QMC: per replicate a scrambled Sobol set q; product laws map it by inverse CDFs,
    formula densities keep y = q and weight each point by f(y) / integral f."""
    dist = setting.dist
    rng, means, masses = np.random.default_rng(seed), np.empty(replicates), np.zeros(len(p))
    power = (qmc_points & (qmc_points - 1)) == 0
    for r in range(replicates):
        sobol = qmc.Sobol(d=setting.n, scramble=True, seed=rng)
        q = sobol.random_base2(int(np.log2(qmc_points))) if power else sobol.random(qmc_points)
        if isinstance(dist, FormulaDensity):
            w = dist.pdf(q)
            profit, mass = _sampled(setting, a, p, q, weights=w)
            profit = profit * w
        else:
            profit, mass = _sampled(setting, a, p, dist.transform_unit(q))
        means[r] = profit.mean()
        masses += mass / replicates
    stderr = float(np.std(means, ddof=1) / np.sqrt(replicates)) if replicates > 1 else float("nan")
    return MenuProfit(value=float(means.mean()), stderr=stderr, method=method, masses=masses)


def _product(setting: Setting, a: np.ndarray, p: np.ndarray, **options: int) -> MenuProfit:
    return _exact_uniform(setting, a, p) if setting.dist.is_uniform else _qmc(setting, a, p, **options)


def _weighted(setting: Setting, a: np.ndarray, p: np.ndarray, **options: int) -> MenuProfit:
    return _qmc(setting, a, p, method="qmc-weighted", **options)


# the law's type -> how its menu profit is computed
EVALUATORS = {
    SampleDistribution: _empirical,
    KernelDensity: _kernel,
    ProductDistribution: _product,
    PolytopeUniform: _exact_uniform,
    FormulaDensity: _weighted,
}
