"""Double auctions side by side: exact LP, optimal broker, baselines, first best, transformer.

:func:`compare` evaluates the requested mechanisms on one setting with common
random numbers (the same sampled profiles for every ex-post rule) and returns
an :class:`AuctionComparison`: one :class:`MechanismRow` per mechanism with its
expected revenue (and standard error), expected trades and measured IC
violation, or the reason it was skipped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from grids.auction import AuctionSetting
from grids.errors import InvalidInput
from solvers.auction.broker import broker_interim, first_best, optimal_broker
from solvers.auction.evaluate import EXACT_PROFILES, Profiles, draw_profiles, evaluate_rule, expost_regret
from solvers import arguments as arg
from solvers.auction.lp import check_lp_options
from solvers.auction.mechanisms import RULES, not_applicable
from solvers import status as st
from solvers.report import json_ready
from solvers.status import SolverFailure

log = logging.getLogger("dualmech")

# Trained only when named: training is minutes (small markets) to hours (10 x 8, 1000 steps on 2 CPU cores),
# so ``all`` lists it as skipped with how to ask for it.
ON_REQUEST = {"neural": "trains a transformer (minutes to hours on a CPU), so it runs only when asked for: "
                        "--mechanism neural (library: mechanisms=[..., 'neural'])"}


@dataclass(frozen=True)
class MechanismRow:
    """One mechanism's expected revenue, trades and IC violation (or why it was skipped).

    ``ic_kind`` says what the violation measures: ``interim`` (exact, from the
    interim allocation and payments), ``ex-post search`` (best misreport gain
    found, mean over sampled profiles, largest agent of the side) or None
    (first best: not a mechanism, only a bound).
    """

    name: str
    status: str                      # st.OK, st.SKIPPED, or the LP's status (optimal, inaccurate, a failure)
    revenue: float | None = None
    stderr: float | None = None
    trades: float | None = None
    ic_violation: float | None = None
    ic_violation_buyers: float | None = None
    ic_violation_sellers: float | None = None
    ic_kind: str | None = None
    method: str | None = None        # enumeration, quadrature, monte_carlo, lp, ...
    seconds: float = 0.0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        """Whether the row carries a result (st.OK, or an LP status optimal / inaccurate)."""
        return self.status == st.OK or self.status in st.SOLVED

    def to_dict(self) -> dict[str, Any]:
        return json_ready(asdict(self))


@dataclass(frozen=True)
class AuctionComparison:
    """The rows of :func:`compare` with the setting and sampling they used."""

    setting: AuctionSetting
    rows: tuple[MechanismRow, ...]
    samples: int
    seed: int

    def row(self, name: str) -> MechanismRow:
        return next(r for r in self.rows if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting.name, "params": self.setting.params(),
                "samples": self.samples, "seed": self.seed, "mechanisms": [r.to_dict() for r in self.rows]}


@dataclass
class _Context:
    """Shared inputs of one comparison: common profiles for revenue and for the regret search."""

    setting: AuctionSetting
    samples: int
    seed: int
    regret_profiles: int
    lp_options: dict[str, Any]
    net_config: Any
    progress: bool = False
    _profiles: dict[bool, Profiles] = field(default_factory=dict)
    _regret: Profiles | None = None

    def profiles(self, randomized: bool = False) -> Profiles:
        """All profiles of a small discrete setting, else draws; always draws for randomized rules
        (whose matching noise an enumeration cannot average)."""
        if randomized not in self._profiles:
            self._profiles[randomized] = draw_profiles(self.setting, self.samples, self.seed, exact=not randomized)
        return self._profiles[randomized]

    @property
    def regret(self) -> Profiles:
        if self._regret is None:
            self._regret = draw_profiles(self.setting, self.regret_profiles, self.seed + 1, exact=False)
        return self._regret


def _ic(buyers: float, sellers: float, kind: str) -> dict[str, Any]:
    return {"ic_violation": max(buyers, sellers), "ic_violation_buyers": buyers,
            "ic_violation_sellers": sellers, "ic_kind": kind}


def _lp_row(ctx: _Context) -> MechanismRow:
    from solvers.auction.lp import solve_auction_lp

    res = solve_auction_lp(ctx.setting, **ctx.lp_options)
    ic = res.ic_violation
    return MechanismRow("lp", res.status, res.value, 0.0, res.expected_trades,
                        **_ic(ic["buyer"], ic["seller"], "interim"), method=f"lp ({res.formulation})",
                        extra={"dual_bound": res.dual_bound, "gap": res.gap})


def _broker_row(ctx: _Context) -> MechanismRow:
    est = optimal_broker(ctx.setting, samples=ctx.samples, seed=ctx.seed)
    ic: dict[str, Any] = {}
    note = "BIC by construction (ironed virtual values, envelope payments)"
    if ctx.setting.is_discrete and ctx.setting.profiles <= EXACT_PROFILES:
        interim = broker_interim(ctx.setting)
        ic, note = _ic(interim.buyer_regret, interim.seller_regret, "interim"), ""
    return MechanismRow("broker", st.OK, est.revenue, est.stderr, est.trades, method=est.method, note=note, **ic)


def _first_best_row(ctx: _Context) -> MechanismRow:
    est = first_best(ctx.setting, samples=ctx.samples, seed=ctx.seed)
    return MechanismRow("first_best", st.OK, est.revenue, est.stderr, est.trades, method=est.method,
                        note="gains from trade of efficient matching: an upper bound on any IR mechanism's revenue")


def _rule_row(name: str) -> Callable[[_Context], MechanismRow]:
    def row(ctx: _Context) -> MechanismRow:
        rule = RULES[name].rule
        val = evaluate_rule(rule, ctx.setting, ctx.profiles(RULES[name].randomized))
        reg = expost_regret(rule, ctx.setting, ctx.regret)
        return MechanismRow(name, st.OK, val.revenue, val.stderr, val.trades,
                            **_ic(reg.buyers_mean, reg.sellers_mean, "ex-post search"), method=val.method,
                            extra={"ic_violation_max": {"buyers": reg.buyers_max, "sellers": reg.sellers_max},
                                   "regret_profiles": reg.profiles})
    return row


def _neural_row(ctx: _Context) -> MechanismRow:
    from neural import AuctionNetConfig, evaluate_auction_net, regret_search, train_auction_net

    config = ctx.net_config if ctx.net_config is not None else AuctionNetConfig(seed=ctx.seed)
    result = train_auction_net(ctx.setting, config, progress=ctx.progress)
    val = evaluate_auction_net(ctx.setting, result, samples=min(ctx.samples, 100_000), seed=ctx.seed)
    reg = regret_search(ctx.setting, result, profiles=ctx.regret_profiles, seed=ctx.seed + 1)
    return MechanismRow("neural", st.OK, val.revenue, val.stderr, val.trades,
                        **_ic(reg.buyer_mean, reg.seller_mean, "ex-post search"), method=val.method,
                        note=f"transformer, {result.steps} steps on {result.device}" + (
                            f"; stopped by the {config.time_limit:g} s training budget after {result.steps} of "
                            f"{config.steps} steps" if result.steps < config.steps else ""),
                        extra={"ic_violation_max": {"buyers": reg.buyer_max, "sellers": reg.seller_max},
                               "train_seconds": result.train_seconds})


# The one registry of mechanisms, in table order: name -> the function that evaluates its row.
ROWS: dict[str, Callable[[_Context], MechanismRow]] = {
    "lp": _lp_row, "broker": _broker_row, "broker_dsic": _rule_row("broker_dsic"), "trm": _rule_row("trm"),
    "mcafee": _rule_row("mcafee"), "random": _rule_row("random"), "first_best": _first_best_row,
    "neural": _neural_row,
}
MECHANISMS = tuple(ROWS)


def _lp_refusal(ctx: _Context) -> str | None:
    """Why the exact LP cannot run here: continuous laws, or a size that would not fit."""
    from solvers.auction.interim import check_interim_size
    from grids.memory import memory_limit
    from solvers.auction.expost import expost_size

    s = ctx.setting
    if not s.is_discrete:
        return "the exact LP needs discrete types: pass --grid K (grid=K)"
    if ctx.lp_options.get("formulation") == "ex_post":
        need = expost_size(s)["bytes"]
        if need > memory_limit():
            return (f"the ex-post LP would need about {need / 2**30:.1f} GiB; use the interim formulation "
                    "or the optimal broker (--mechanism broker)")
        return None
    try:
        check_interim_size(s, s.symmetric)
    except InvalidInput as err:
        return str(err)
    return None


def _neural_refusal(ctx: _Context) -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError as err:
        return f"the transformer needs torch ({err}): pip install 'dualmech[neural]'"
    return None


def _rule_refusal(name: str) -> Callable[[_Context], str | None]:
    return lambda ctx: not_applicable(name, ctx.setting)


REFUSALS: dict[str, Callable[[_Context], str | None]] = {
    "lp": _lp_refusal, "neural": _neural_refusal, **{name: _rule_refusal(name) for name in RULES},
}


def resolve_mechanisms(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Expand ``all`` and check names against :data:`MECHANISMS` (InvalidInput otherwise)."""
    out: list[str] = []
    for name in names:
        expanded = MECHANISMS if name == "all" else (name,)
        for n in expanded:
            if n not in ROWS:
                raise InvalidInput(f"unknown mechanism {n!r}; known: all, {', '.join(MECHANISMS)}")
            if n not in out:
                out.append(n)
    return tuple(out)


def compare(
    setting: AuctionSetting,
    mechanisms: tuple[str, ...] | list[str] = ("all",),
    *,
    samples: int = 200_000,
    regret_profiles: int = 256,
    seed: int = 0,
    lp_options: dict[str, Any] | None = None,
    net_config: Any = None,
    progress: bool = False,
) -> AuctionComparison:
    """Evaluate mechanisms on ``setting``: revenue ± stderr, trades, IC violation.

    Parameters
    ----------
    mechanisms : names from :data:`MECHANISMS`, or ``all``
        With ``all``, mechanisms that cannot run here (the LP on a continuous
        or too large setting, torch missing, rules that need unit capacities)
        come back as ``skipped`` rows with the reason; named explicitly, such
        a refusal is raised as :class:`grids.InvalidInput` before any work.
        ``all`` does not train the transformer (:data:`ON_REQUEST`): its row
        says how to ask for it; name ``neural`` to train it.
    samples, seed : int
        Monte Carlo profiles (common to all ex-post rules) and the seed every
        random draw derives from.
    regret_profiles : int
        Profiles on which each agent's best misreport is searched.
    lp_options : dict, optional
        Keyword arguments for :func:`solvers.auction.lp.solve_auction_lp`.
    net_config : neural.AuctionNetConfig, optional
    progress : bool
        Show the transformer's training bar (with its time budget) on stderr.
    """
    names = resolve_mechanisms(mechanisms)
    explicit = "all" not in mechanisms
    arg.integer("samples", samples, 2)
    arg.integer("regret_profiles", regret_profiles, 1)
    arg.integer("seed", seed, 0)
    if "lp" in names:
        check_lp_options(**(lp_options or {}))
    ctx = _Context(setting, samples, seed, regret_profiles, lp_options or {}, net_config, progress)
    refusals = {name: REFUSALS[name](ctx) for name in names if name in REFUSALS}
    refused = {name: why for name, why in refusals.items() if why}
    named = {name for name in mechanisms if name != "all"}
    refused.update({name: why for name, why in ON_REQUEST.items() if name in names and name not in named
                    and name not in refused})
    if explicit and refused:
        raise InvalidInput("; ".join(f"{name}: {why}" for name, why in refused.items()))
    rows = []
    for name in names:
        if name in refused:
            rows.append(MechanismRow(name, st.SKIPPED, note=refused[name]))
            continue
        log.info("mechanism %s ...", name)
        t0 = time.perf_counter()
        try:
            row = ROWS[name](ctx)
        except SolverFailure as err:
            row = MechanismRow(name, err.status, note=err.message)
        rows.append(MechanismRow(**{**row.__dict__, "seconds": time.perf_counter() - t0}))
    return AuctionComparison(setting, tuple(rows), samples, seed)
