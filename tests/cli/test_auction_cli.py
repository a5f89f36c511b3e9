"""``solve --setting da``: table, JSON, files and refusals (exit codes 0 / 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grids import InvalidInput
from grids.auction import make_auction_setting
from solvers.auction.compare import compare
from solvers.cli.main import main

Z_SE = 4.0  # Monte Carlo comparisons: 4 standard errors
CHEAP = ["--mechanism", "broker", "--mechanism", "trm", "--mechanism", "first_best", "--samples", "20000",
         "--regret-profiles", "20", "-q"]


def test_table_lists_each_mechanism_with_revenue_and_ic(capsys) -> None:
    assert main(["--setting", "da", "--buyers", "2", "--sellers", "2", *CHEAP]) == 0
    out = capsys.readouterr().out
    for name in ("broker", "trm", "first_best"):
        assert f"  {name} " in out
    # 2x2 U[0,1] broker: 2 E[(V_(1) - C_(1) - 1/2)^+] + 2 E[(V_(2) - C_(2) - 1/2)^+] with the order
    # statistic densities 2v, 2(1 - c) and 2(1 - v), 2c integrates (by hand or sympy) to 31/240
    assert f"{31 / 240:.6f}" in out


def test_json_has_the_documented_keys(capsys) -> None:
    assert main(["--setting", "da", "--buyers", "2", "--sellers", "1", "--grid", "5", "--json", *CHEAP]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["setting"] == "da" and doc["params"]["grid"] == 5 and doc["params"]["buyers"] == 2
    rows = {r["name"]: r for r in doc["mechanisms"]}
    assert set(rows) == {"broker", "trm", "first_best"}
    for r in rows.values():
        assert {"revenue", "stderr", "trades", "ic_violation", "status"} <= set(r)
    assert rows["broker"]["stderr"] == 0.0 and rows["broker"]["ic_kind"] == "interim"  # exact enumeration


def test_out_writes_summary_and_chart(tmp_path) -> None:
    out = tmp_path / "da"
    assert main(["--setting", "da", "--buyers", "3", "--sellers", "2", "--out", str(out), *CHEAP]) == 0
    assert json.loads((out / "summary.json").read_text())["params"]["sellers"] == 2
    assert (out / "revenue.png").stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["da"]  # no staging folder left behind


@pytest.mark.parametrize("args, words", [
    (["--buyers", "0"], "buyers"),
    (["--values", "uniform:1,0"], "empty range"),
    (["--costs", "discrete:0@0.2,1@0.2"], "sum to"),
    (["--mechanism", "vcg"], "unknown mechanism"),
    (["--demand", "2", "--mechanism", "trm"], "unit demand"),
    (["--grid", "5", "--mechanism", "broker_dsic"], "continuous"),
    (["--samples", "1", "--mechanism", "trm"], "samples"),
])
def test_bad_input_exits_2_with_one_message_before_any_work(args, words, capsys, tmp_path) -> None:
    out = tmp_path / "never"
    assert main(["--setting", "da", *args, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]
    assert not out.exists()


def test_explicit_mechanism_that_cannot_run_is_refused() -> None:
    s = make_auction_setting(buyers=2, sellers=2, demand=2)
    res = compare(s, ["broker", "first_best"], samples=1000)
    assert [r.name for r in res.rows] == ["broker", "first_best"]
    with pytest.raises(InvalidInput, match="unit demand"):
        compare(s, ["trm"], samples=1000)


def test_randomized_rule_is_sampled_even_where_profiles_are_enumerable() -> None:
    s = make_auction_setting(buyers=2, sellers=2, grid=5)
    res = compare(s, ["random", "trm"], samples=20_000, regret_profiles=5)
    rand, trm = res.row("random"), res.row("trm")
    assert rand.method == "monte_carlo" and rand.stderr > 0 and rand.revenue > 0.05
    assert trm.method == "enumeration" and trm.stderr == 0.0


def test_python_dash_m_solvers_dispatches_da() -> None:
    proc = subprocess.run([sys.executable, "-m", "solvers", "--setting", "da", "--mechanism", "broker", "--json",
                           "-q"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mechanisms"][0]["revenue"] == pytest.approx(1 / 24, abs=1e-12)


def _tiny_net():
    """A transformer config that trains in well under a second (the rows' plumbing, not its quality)."""
    pytest.importorskip("torch")
    from neural import AuctionNetConfig

    return AuctionNetConfig(steps=2, d_model=8, heads=2, layers=1, ff=16, batch_size=8, threads=1)


def test_all_runs_every_mechanism_or_says_why_not() -> None:
    res = compare(make_auction_setting(buyers=2, sellers=1, grid=5), ["all", "neural"], samples=2000,
                  regret_profiles=4, net_config=_tiny_net())
    rows = {r.name: r for r in res.rows}
    assert set(rows) == {"lp", "broker", "broker_dsic", "trm", "mcafee", "random", "first_best", "neural"}
    assert rows["broker_dsic"].status == "skipped" and "continuous" in rows["broker_dsic"].note
    assert all(r.ran for name, r in rows.items() if name != "broker_dsic")
    # LP and the enumerated broker are two exact computations of the same optimum (HiGHS tolerance 1e-9)
    assert rows["lp"].revenue == pytest.approx(rows["broker"].revenue, abs=1e-9)
    assert rows["neural"].revenue <= rows["first_best"].revenue + Z_SE * rows["neural"].stderr


def test_lp_on_continuous_laws_is_skipped_under_all_and_refused_alone() -> None:
    s = make_auction_setting(buyers=2, sellers=2)
    lp = compare(s, ["all"], samples=2000, regret_profiles=2, net_config=_tiny_net()).row("lp")
    assert lp.status == "skipped" and "--grid K" in lp.note
    with pytest.raises(InvalidInput, match="--grid K"):
        compare(s, ["lp"])
    big = make_auction_setting(buyers=10, sellers=8, grid=21)
    with pytest.raises(InvalidInput, match="broker"):
        compare(big, ["lp"])


def test_default_command_on_a_large_market_runs_the_exact_rows_and_lists_the_others() -> None:
    """``solve --setting da --buyers 10 --sellers 8`` (default --mechanism all) trains nothing."""
    proc = subprocess.run([sys.executable, "-m", "solvers", "--setting", "da", "--buyers", "10", "--sellers", "8",
                           "--samples", "20000", "--regret-profiles", "8", "--json", "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)["mechanisms"]}
    assert set(rows) == {"lp", "broker", "broker_dsic", "trm", "mcafee", "random", "first_best", "neural"}
    for name in ("broker", "trm", "mcafee", "first_best"):
        assert rows[name]["status"] == "ok" and rows[name]["revenue"] is not None
    assert rows["lp"]["status"] == "skipped" and "--grid K" in rows["lp"]["note"]
    assert rows["neural"]["status"] == "skipped" and "--mechanism neural" in rows["neural"]["note"]
    assert proc.stderr == ""  # -q: no progress and no warning from any framework


def test_named_transformer_trains_with_a_progress_bar_and_its_budget(capsys) -> None:
    assert main(["--setting", "da", "--mechanism", "neural", "--train-steps", "2", "--train-time", "30",
                 "--samples", "200", "--regret-profiles", "2"]) == 0
    captured = capsys.readouterr()
    assert "auction net (budget 30 s)" in captured.err  # the tqdm bar on stderr names the budget
    assert "  neural " in captured.out and "skipped" not in captured.out
