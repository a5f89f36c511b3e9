"""Double auctions: revenue of the exact LP, the optimal broker, the baselines and a trained transformer.

Unit buyers and sellers with i.i.d. U[0, 1] values and costs. For each market
(2x2 on a 7-value grid, where the exact BIC LP runs; the paper's small 3x3
market; its default 10x8 and large 20x20 markets, without the transformer, too
costly to train on the CPU) ``solvers.auction.compare.compare`` evaluates lp, broker,
broker_dsic, trm, mcafee, random, first_best and neural with common random
numbers. The figure shows revenue (error bars: 2 standard errors; crosses: the
paper's Table 1 profits) and each mechanism's measured IC violation, the
transformer's included (largest agent's mean best-misreport gain).

Run (full mode: 2x2 and 3x3 transformers, 200 and 150 steps, a few minutes;
``--fast``: 5-value grid, 3 steps, few samples; ``--readme-image`` also writes
examples/img/double_auction.png in full mode)::

    python examples/double_auction.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import EXAMPLES, Report, example_args  # noqa: E402

from grids import make_auction_setting  # noqa: E402
from neural import AuctionNetConfig  # noqa: E402
from solvers.auction.broker import optimal_broker  # noqa: E402
from solvers.auction.compare import MECHANISMS, AuctionComparison, compare  # noqa: E402

SEED = 0
# the paper's Table 1 profits (m, n) -> mechanism -> profit (its "RM" is random, "Our Model" the transformer)
PAPER = {(3, 3): {"trm": 0.51, "random": 0.34, "neural": 1.67}, (10, 8): {"trm": 4.69, "random": 1.17, "neural": 9.95},
         (20, 20): {"trm": 14.40, "random": 2.42, "neural": 21.45}}
COLORS = {"lp": "C3", "broker": "C1", "broker_dsic": "C5", "trm": "C2", "mcafee": "C8", "random": "C7",
          "first_best": "0.75", "neural": "C0"}
IC_FLOOR = 1e-7  # IC violations below this are drawn at the floor (log axis)
NET = {"d_model": 32, "ff": 64}  # half the default width: ~2x faster per step on the 2-core CPU (3x3), same 2 layers


def markets(fast: bool) -> list[tuple[str, dict, tuple[str, ...], int]]:
    """(label, setting keywords, mechanisms, transformer steps) per market."""
    no_net = tuple(m for m in MECHANISMS if m not in ("lp", "neural"))
    return [(f"2x2, U[0,1] on {5 if fast else 7} values", dict(buyers=2, sellers=2, grid=5 if fast else 7),
             ("all", "neural"), 3 if fast else 200),  # all: broker_dsic skipped (needs continuous laws); neural named
            ("3x3, U[0,1] (paper's small)", dict(buyers=3, sellers=3), MECHANISMS[1:], 2 if fast else 150),
            ("10x8, U[0,1] (paper's default)", dict(buyers=10, sellers=8), no_net, 0),
            ("20x20, U[0,1] (paper's large)", dict(buyers=20, sellers=20), no_net, 0)]


def draw(results: list[tuple[str, AuctionComparison]], path: Path, dpi: int) -> None:
    """Top: revenue per mechanism and market (paper's profits as crosses); bottom: IC violation (log)."""
    fig = Figure(figsize=(4.6 * len(results), 7.0), dpi=dpi, layout="constrained")
    axes = fig.subplots(2, len(results), squeeze=False)
    for j, (label, comp) in enumerate(results):
        rows = [r for r in comp.rows if r.ran]
        x, names = np.arange(len(rows)), [r.name for r in rows]
        rev, err = [r.revenue for r in rows], [2 * (r.stderr or 0.0) for r in rows]
        top, bot = axes[0, j], axes[1, j]
        top.bar(x, rev, yerr=err, capsize=3, color=[COLORS[n] for n in names],
                hatch=["//" if n == "first_best" else "" for n in names])
        paper = PAPER.get((comp.setting.buyers, comp.setting.sellers), {})
        for i, n in enumerate(names):
            if n in paper:
                top.plot(i, paper[n], "kx", ms=8, mew=2)
        if paper:
            skipped = [n for n in paper if n not in names]
            top.plot([], [], "kx", label="paper's Table 1 profit" + (f" (not run: {', '.join(skipped)}: "
                                                                     f"{', '.join(str(paper[n]) for n in skipped)})"
                                                                     if skipped else ""))
            top.legend(fontsize="x-small", loc="best")
        marks = [paper[n] for n in names if n in paper]
        top.set(title=label, ylabel="expected revenue" if j == 0 else None, xticks=x, xlim=(-0.6, len(x) - 0.4),
                ylim=(min(0.0, *rev) * 1.15, 1.15 * max(*rev, *marks)))
        top.set_xticklabels(names, rotation=40, ha="right", fontsize="small")
        ic = [r.ic_violation for r in rows]
        shown = [max(v, IC_FLOOR) if v is not None else np.nan for v in ic]
        bot.bar(x, shown, color=[COLORS[n] for n in names], log=True)
        for i, v in enumerate(ic):
            text = f"{v:.1g}" if v is not None else ("BIC" if names[i] == "broker" else "n/a")
            bot.text(i, max(v or 0.0, IC_FLOOR) * 1.4, text, ha="center", fontsize="x-small", rotation=90, va="bottom")
        bot.set(ylim=(IC_FLOOR / 2, 30), ylabel="IC violation (mean best gain)" if j == 0 else None, xticks=x,
                xlim=(-0.6, len(x) - 0.4))
        bot.set_xticklabels(names, rotation=40, ha="right", fontsize="small")
    fig.suptitle("Double-auction revenue (error bars: 2 s.e.) and measured IC violation", fontsize="medium")
    fig.savefig(path, bbox_inches="tight")


def main() -> None:
    args = example_args("double_auction", __doc__.splitlines()[0])
    samples, regret_profiles = (2_000, 2) if args.fast else (100_000, 64)
    t0 = time.perf_counter()
    rep = Report("Double auctions: exact LP, optimal broker, baselines and a trained transformer",
                 example="double_auction", fast=args.fast, samples=samples, regret_profiles=regret_profiles, seed=SEED)
    rep.text(f"Unit traders, values and costs i.i.d. U[0, 1]; {samples} common Monte Carlo profiles (small grids: "
             f"all profiles enumerated); IC violation: interim (exact) for lp and broker on grids, else the largest "
             f"agent's mean best-misreport gain over {regret_profiles} profiles (gradient search with restarts). "
             f"Transformer: AuctionNetConfig with d_model {NET['d_model']}, ff {NET['ff']}, otherwise defaults "
             f"(2 layers, 4 heads, batch 64, GCE, penalty 0.5 -> 2; the paper's is 256 wide, 4 layers), seed {SEED}.")
    results, table = [], []
    for label, kw, mechs, steps in markets(args.fast):
        setting = make_auction_setting(**kw)
        net = AuctionNetConfig(steps=max(steps, 1), seed=SEED, eval_every=max(1, steps // 10), **NET)
        comp = compare(setting, mechs, samples=samples, regret_profiles=regret_profiles, seed=SEED, net_config=net)
        results.append((label, comp))
        for r in comp.rows:
            table.append((label, r.name, r.status, r.revenue, r.stderr, r.trades, r.ic_violation_buyers,
                          r.ic_violation_sellers, r.ic_kind or "-", round(r.seconds, 1),
                          (r.note or "")[:70] if r.status == "skipped" else r.method))
    path = args.out / "double_auction.png"
    draw(results, path, 100)
    rep.figure(path, "revenue (2 s.e. bars) and measured IC violation per mechanism and market")
    if args.readme_image:
        (EXAMPLES / "img").mkdir(exist_ok=True)
        draw(results, EXAMPLES / "img" / "double_auction.png", 55)
    rep.table(["market", "mechanism", "status", "revenue", "stderr", "trades", "IC buyers", "IC sellers", "IC kind",
               "s", "method / why skipped"], table)
    rep.text(f"Total run time {time.perf_counter() - t0:.1f} s.")

    f = rep.claims
    lp_comp = results[0][1]
    lp, br = lp_comp.row("lp"), lp_comp.row("broker")
    exact = optimal_broker(lp_comp.setting)
    agree = f.at_most("lp_minus_broker", max(abs(lp.revenue - br.revenue), abs(exact.revenue - br.revenue)), 1e-9,
                      "on the grid market the exact BIC LP, the optimal broker and its enumeration agree to 1e-9",
                      lp=lp.revenue, broker=br.revenue, enumeration=exact.revenue, lp_gap=lp.extra["gap"],
                      trades_lp=lp.trades, trades_broker=br.trades)
    rep.finding(f"{results[0][0]}: the exact BIC LP ({lp.revenue:.10f}, certified gap {lp.extra['gap']:.1e}) and "
                f"the optimal broker ({br.revenue:.10f}; by enumeration {exact.revenue:.10f}) agree to "
                f"{agree.value:.1e}, " + agree.verdict("as DESIGN §2 requires: ironed virtual-value matching is the "
                                                       "BIC optimum on the grid.",
                                                       "which is NOT the agreement DESIGN §2 requires.")
                + f" Their expected trades differ ({lp.trades:.4f} vs {br.trades:.4f}): on a grid some trades have "
                "zero virtual surplus, so the optimum is not unique.")
    for label, comp in results:
        names = [r.name for r in comp.rows if r.ran]
        if "neural" not in names:
            continue
        tag = f"{comp.setting.buyers}x{comp.setting.sellers}"
        nn, br, trm = comp.row("neural"), comp.row("broker"), comp.row("trm")
        steps = nn.note.split()[1] if nn.note else "?"
        below = f.add(f"neural_not_above_broker_{tag}", nn.revenue - br.revenue, "the transformer's revenue is not "
                      "above the BIC optimum (the optimal broker's) by more than 2 standard errors",
                      nn.revenue <= br.revenue + 2 * (nn.stderr or 0.0), neural=nn.revenue, stderr=nn.stderr,
                      broker=br.revenue)
        vs_trm = f.add(f"neural_beats_trm_{tag}", nn.revenue - trm.revenue, "the transformer earns more than trade "
                       "reduction", nn.revenue > trm.revenue, neural=nn.revenue, trm=trm.revenue)
        dsic = {r.name: r.ic_violation for r in comp.rows if r.ran and r.name in ("trm", "mcafee", "broker_dsic")}
        strict = f.add(f"dsic_below_neural_violation_{tag}", [max(dsic.values()), nn.ic_violation], "the "
                       "dominant-strategy IC rules (TRM, McAfee, broker_dsic) show no measured IC violation (<= 1e-9) "
                       "while the transformer's is positive, so its violation cannot be the lowest of all methods",
                       max(dsic.values()) <= 1e-9 < nn.ic_violation, dsic=dsic, neural=nn.ic_violation)
        rep.finding(
            f"{label}: the transformer ({steps} steps) earns {nn.revenue:.4f} +- {nn.stderr:.1g}, "
            f"{100 * nn.revenue / br.revenue:.0f} % of the optimal broker's {br.revenue:.4f}, with measured IC "
            f"violation {nn.ic_violation:.2g} (buyers {nn.ic_violation_buyers:.2g}, sellers "
            f"{nn.ic_violation_sellers:.2g}); trade reduction earns {trm.revenue:.4f} at violation "
            f"{trm.ic_violation:.1g}. "
            + below.verdict("It stays below the BIC optimum. ", "Its revenue is ABOVE the BIC optimum, so the excess "
                            "is bought by lying, not by design. ")
            + vs_trm.verdict("It beats TRM on revenue", "It does NOT beat TRM on revenue")
            + ". " + strict.verdict("The paper's claim that its model has the lowest IC violation of all methods "
                                    "cannot hold strictly: TRM, McAfee and broker_dsic are dominant-strategy IC "
                                    "(violation 0 here; TRM 0.00 in the paper's own table), the transformer is only "
                                    "approximately IC.",
                                    f"Here the DSIC rules' measured violations ({max(dsic.values()):.1g}) are NOT "
                                    "all zero below the transformer's, so this run does not refute the paper's "
                                    "lowest-violation claim.")
            + (" (Fast mode: a few steps only; numbers are not meaningful.)" if args.fast else ""))
    exceed = {}
    for label, comp in results:
        paper = PAPER.get((comp.setting.buyers, comp.setting.sellers))
        if not paper:
            continue
        tag = f"{comp.setting.buyers}x{comp.setting.sellers}"
        fb, trm, rnd = comp.row("first_best"), comp.row("trm"), comp.row("random")
        over = f.add(f"paper_neural_above_first_best_{tag}", paper["neural"] - fb.revenue, "the paper's transformer "
                     "profit exceeds the first-best gains from trade, which bound every IR mechanism's revenue",
                     paper["neural"] > fb.revenue, paper=paper, first_best=fb.revenue)
        exceed[tag] = [n for n, v in paper.items() if v > fb.revenue]
        ratios = (paper["trm"] / trm.revenue, paper["random"] / rnd.revenue)
        scale = f.add(f"paper_rescaling_inconsistent_{tag}", ratios[0] / ratios[1], "the paper's TRM is more than "
                      "twice as far from ours (as a ratio) as its random matching: no single rescaling explains both",
                      ratios[0] / ratios[1] > 2, trm_ratio=ratios[0], random_ratio=ratios[1], trm=trm.revenue,
                      trm_stderr=trm.stderr, random=rnd.revenue, random_stderr=rnd.stderr)
        rep.finding(
            f"{label}: " + over.verdict("the paper's Table 1 profits cannot be this setting's. ", "")
            + f"Its transformer's {paper['neural']} " + over.verdict("exceeds", "does NOT exceed")
            + f" the first-best gains from trade {fb.revenue:.4f}, which bound the revenue of every IR mechanism "
            f"with unit traders (values in [0.1, 1], the paper's training range, only lower it). Its TRM "
            f"{paper['trm']} is {ratios[0]:.1f}x ours ({trm.revenue:.4f})"
            + (", itself above the first best" if paper["trm"] > fb.revenue else "") + f", while its random "
            f"matching {paper['random']} is {ratios[1]:.2f}x ours ({rnd.revenue:.4f}, pay as bid): "
            + scale.verdict("no single rescaling (e.g. unreported multi-unit demand) explains both, so the table is "
                            "not reproducible from the paper's stated set-up.",
                            "the two ratios are close, so a single rescaling is NOT ruled out."))
    f.add("paper_profits_above_first_best", exceed, "in every Table 1 market some of the paper's profits (at least "
          "the transformer's) exceed the first-best gains from trade", all("neural" in v for v in exceed.values()))
    rep.save(args.out)


if __name__ == "__main__":
    main()
