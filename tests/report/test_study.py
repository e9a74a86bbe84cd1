"""Comparisons and sweeps over seeds (means with their intervals), the figures of a study, and the HTML report."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from scipy import stats

import qnet_dqnn.report.figures as result_figures
import qnet_dqnn.report.study_figures as study_figures
from qnet_dqnn.report.html import build_report
from qnet_dqnn.report.plotting import read_hover
from qnet_dqnn.report.sheet import csv_text
from qnet_dqnn.report.study import (
    comparison_rows,
    comparison_sheet,
    difference_sheets,
    load_comparison,
    save_comparison,
    summarize,
    sweep_sheet,
)
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.scenario.compare import run_comparison

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [ROOT / "scenarios" / "characterize_two_site.yaml", ROOT / "scenarios" / "characterize_chain.yaml"]


def _fake(name: str, seed: int, bits: int, accuracy: float, end_s: float = 2.0, pairs: int = 5) -> RunResult:
    """A result as a split training strategy would report it (curves, timeline, fidelities, ledger)."""
    return RunResult(
        scenario=name,
        workload="train",
        seed=seed,
        topology="t",
        simulated_time_s=end_s,
        events_processed=10,
        metrics={"final_accuracy": accuracy, "output_fidelity": 0.9 + accuracy / 10, "pair_fidelity": 0.95},
        curves={
            "loss": {"t_s": [0.25 * end_s, 0.5 * end_s, end_s], "value": [1.0, 0.6, 0.4 + seed / 10]},
            "accuracy": {"t_s": [0.25 * end_s, 0.5 * end_s, end_s], "value": [0.5, 0.7, accuracy]},
        },
        ledger={"totals": {"bits": bits, "pairs_delivered": pairs, "pairs_consumed": pairs - 1, "shots": 100}},
        timeline={"q0": [[0.0, 0.5, "compute"], [0.5, 0.7, "wait_message"]], "q1": [[0.1, 0.3, "wait_pairs"]]},
        tables={"training": [{"update": 1, "t_s": 0.5, "loss": 1.0, "accuracy": 0.5}]},
        wall={"wall_time_s": 0.1},
    )


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Figures saved during the test, kept for inspection (each module binds its own save function)."""
    figures: list[dict[str, Any]] = []
    for module in (study_figures, result_figures):
        real = module.save_figure

        def spy(fig: Any, path: Path, real: Any = real) -> Path:
            figures.append(
                {
                    "labels": {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes},
                    "axes": [
                        {
                            "title": ax.get_title(),
                            "ylim": ax.get_ylim(),
                            "xscale": ax.get_xscale(),
                            "legend": [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [],
                            "bands": sum(type(c).__name__ == "FillBetweenPolyCollection" for c in ax.collections),
                        }
                        for ax in fig.axes
                    ],
                    "path": path,
                }
            )
            return real(fig, path)

        monkeypatch.setattr(module, "save_figure", spy)
    return figures


def test_comparison_rows_are_the_mean_and_student_t_interval_over_seeds() -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8), _fake("a", 1, 300, 0.9)], "b": [_fake("b", 0, 50, 0.7)]}
    a, b = comparison_rows(runs)
    half = stats.t.ppf(0.975, 1) * np.std([100, 300], ddof=1) / math.sqrt(2)  # Student t, 1 degree of freedom
    assert (
        a["bits mean"] == 200
        and a["bits low"] == pytest.approx(200 - half)
        and a["bits high"] == pytest.approx(200 + half)
    )
    assert a["final accuracy mean"] == pytest.approx(0.85) and b["seeds"] == 1 and math.isnan(b["bits low"])
    assert a["output fidelity mean"] == pytest.approx(0.985) and a["pair fidelity mean"] == 0.95  # as reported
    narrower = comparison_rows(runs, level=0.5)[0]
    assert a["bits low"] < narrower["bits low"] < 200 < narrower["bits high"] < a["bits high"]


def test_the_compare_table_grows_with_new_metrics_and_skips_what_no_run_reports() -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8)]}
    runs["a"][0].metrics["pair_age_mean_s"] = 0.25  # a metric this code has never heard of
    runs["a"][0].metrics["a_table"] = {"not": "a number"}  # type: ignore[assignment]
    machine = comparison_sheet(runs, everything=True).columns
    shown = comparison_sheet(runs).columns
    assert "pair age mean (s)" in machine and "a table" not in machine
    assert "output fidelity" in shown and "telegates" not in shown  # no run reports telegates


def test_differences_against_the_first_scenario_are_welch_intervals_with_hedges_g() -> None:
    runs = {
        "a": [_fake("a", s, bits, 0.8) for s, bits in enumerate([100, 110, 120, 130, 140])],
        "b": [_fake("b", s, bits, 0.8) for s, bits in enumerate([200, 230, 250, 260, 300])],
    }
    [sheet] = difference_sheets(runs)
    row = next(r for r in sheet.rows if r[0] == "bits")
    difference, g = row[3], row[4]
    welch = stats.ttest_ind([200, 230, 250, 260, 300], [100, 110, 120, 130, 140], equal_var=False)
    assert difference.delta == 128 and difference.p_value == pytest.approx(welch.pvalue)
    pooled = math.sqrt((np.var([100, 110, 120, 130, 140], ddof=1) + np.var([200, 230, 250, 260, 300], ddof=1)) / 2)
    assert g == pytest.approx(128 / pooled * (1 - 3 / (4 * 10 - 9)))
    assert difference_sheets({"a": runs["a"][:1], "b": runs["b"][:1]}) == []  # one seed: nothing to claim


def test_each_study_figure_renders_with_its_axis_labels(tmp_path: Path, captured: list[Any]) -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8)], "b": [_fake("b", 0, 50, 0.7)]}
    study_figures.overhead_figure(runs, tmp_path / "o.png")
    study_figures.curves_figure(runs, tmp_path / "c.png")
    study_figures.timeline_figure(runs, tmp_path / "t.png")
    axes, points = ["x", "seed"], [({"x": x, "seed": s}, _fake("a", s, 100 * x, 0.8)) for x in (1, 2) for s in (0, 1)]
    summary = summarize(axes, points)
    series = {q.label: [summary.measured(i, q).interval for i in range(2)] for q in summary.shown}
    study_figures.sweep_figure(["x"], summary.values, series, 0.95, tmp_path / "s.png")
    expected = [
        {"classical bits sent (per run)", "entangled pairs (per run)", "circuit shots on QPUs (per run)"},
        {"simulated time (s)", "loss", "accuracy"},
        {"simulated time (s)", "share of the run"},
        {"x", "bits"},
    ]
    for figure, labels in zip(captured, expected, strict=True):
        assert labels <= figure["labels"], figure["labels"]
        assert figure["path"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure["path"].stat().st_size > 5_000


def test_count_axes_never_go_negative_and_say_when_nothing_was_used(tmp_path: Path, captured: list[Any]) -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8, pairs=0)], "b": [_fake("b", 0, 50, 0.7, pairs=0)]}
    runs["a"][0].ledger["totals"]["pairs_consumed"] = 0
    runs["b"][0].ledger["totals"]["pairs_consumed"] = 0
    study_figures.overhead_figure(runs, tmp_path / "o.png")
    [figure] = captured
    assert all(ax["ylim"][0] == 0 for ax in figure["axes"])
    assert figure["axes"][1]["ylim"] == (0.0, 1.0)  # no pairs: an honest empty axis, not -0.04..0.04


def test_seeds_are_a_mean_with_a_band_and_a_legend_entry_and_far_apart_runs_get_a_log_axis(
    tmp_path: Path, captured: list[Any]
) -> None:
    runs = {"short": [_fake("s", i, 100, 0.8 + i / 100) for i in range(3)], "long": [_fake("l", 0, 50, 0.7, 5e3)]}
    study_figures.curves_figure(runs, tmp_path / "c.png")
    loss = captured[0]["axes"][0]
    assert loss["bands"] == 1 and loss["xscale"] == "log"  # 2 s and 5000 s
    assert "s (mean of 3 seeds)" in " ".join(loss["legend"]).replace("short", "s")
    assert any("interval" in text for text in loss["legend"])
    study_figures.curves_figure({"short": runs["short"], "b": [_fake("b", 0, 1, 0.5, 3.0)]}, tmp_path / "d.png")
    assert captured[1]["axes"][0]["xscale"] == "linear"


def test_a_mean_curve_holds_each_seed_at_its_latest_value() -> None:
    grid, intervals = study_figures.mean_curve([([1.0, 3.0], [10.0, 30.0]), ([2.0], [20.0])])
    assert list(grid) == [1.0, 2.0, 3.0]
    assert [iv.mean for iv in intervals] == [10.0, 15.0, 25.0] and [iv.n for iv in intervals] == [1, 2, 2]


def test_a_timeline_gives_each_step_its_shares_of_compute_and_waits() -> None:
    edges = np.array([0.0, 1.0, 3.0])
    spans = [[0.0, 0.5, "compute"], [0.5, 1.5, "wait_message"], [2.0, 3.0, "wait_pairs"], [1.5, 2.0, "compute"]]
    shares = study_figures.step_shares(spans, edges)
    assert list(shares["compute"]) == [0.5, 0.25] and list(shares["wait_message"]) == [0.5, 0.25]
    assert list(shares["wait_pairs"]) == [0.0, 0.5]


def test_overlapping_spans_count_each_instant_once_for_the_first_kind() -> None:
    edges = np.array([0.0, 2.0, 4.0])
    spans = [[0.0, 3.0, "wait_message"], [1.0, 2.5, "compute"], [3.5, 5.0, "wait_pairs"], [3.0, 4.0, "compute"]]
    shares = study_figures.step_shares(spans, edges)
    assert list(shares["compute"]) == [0.5, 0.75]  # [1, 2); [2, 2.5) and [3, 4)
    assert list(shares["wait_message"]) == [0.5, 0.25]  # [0, 1) and [2.5, 3): the rest is computing
    assert list(shares["wait_pairs"]) == [0.0, 0.0]  # [3.5, 4) is computing too
    assert np.all(sum(shares.values()) <= 1.0)


def test_hover_points_sit_on_what_they_describe(tmp_path: Path) -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8)], "b": [_fake("b", 0, 50, 0.7)]}
    path = study_figures.overhead_figure(runs, tmp_path / "o.png")
    marks = read_hover(path)
    assert marks is not None
    image = matplotlib.image.imread(path)
    assert np.allclose(image.shape[:2], (marks["height"], marks["width"]), atol=1.0)  # the same pixels
    [(x, y, text)] = [p for p in marks["points"] if p[2].startswith("a: ") and "classical bits" in p[2]]
    assert text == "a: 100 classical bits"
    below = image[int(round(y)) + 4, int(round(x))][:3]  # just under the top of the bar: the bar's blue
    assert np.allclose(below, matplotlib.colors.to_rgb("#1f77b4"), atol=0.05), below


def test_compare_writes_a_record_that_rebuilds_the_same_rows_readable_by_others(
    tmp_path: Path, captured: list[Any]
) -> None:
    runs = run_comparison(SCENARIOS, seeds=2)
    assert [len(r) for r in runs.values()] == [2, 2]
    assert runs["characterize_two_site"][0].seed + 1 == runs["characterize_two_site"][1].seed
    before = os.umask(0o027)
    try:
        folder, figures = save_comparison(runs, tmp_path / "private")
    finally:
        os.umask(before)
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o640}
    folder, figures = save_comparison(runs, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["compare.csv", "compare.json", "overhead.png"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o666 & ~before}
    back = load_comparison(folder)
    strip = [{k: v for k, v in r.items() if not k.startswith("wall")} for r in comparison_rows(back)]
    assert csv_text(strip) == csv_text(
        [{k: v for k, v in r.items() if not k.startswith("wall")} for r in comparison_rows(runs)]
    )
    assert any("entangled pairs (per run)" in f["labels"] for f in captured)


def test_compare_csv_gives_the_fidelities_the_runs_report(tmp_path: Path) -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8), _fake("a", 1, 100, 0.9)]}
    folder, _ = save_comparison(runs, tmp_path)
    text = (folder / "compare.csv").read_text()
    header, row = text.splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert float(values["output fidelity mean"]) == pytest.approx(0.985)
    assert float(values["pair fidelity mean"]) == 0.95 and "nan" not in text


def test_a_sweep_table_shows_what_varies_and_names_what_does_not() -> None:
    points = [({"x": x, "seed": s}, _fake("a", s, 100, 0.5 + x / 10 + s / 100)) for x in (1, 2) for s in (0, 1, 2)]
    summary = summarize(["x", "seed"], points)
    sheet = sweep_sheet(summary)
    assert (
        sheet.columns[:2] == ["x", "runs"] and "final accuracy" in sheet.columns and "output fidelity" in sheet.columns
    )
    assert "bits" not in sheet.columns and "bits 100" in sheet.caption  # the same in every run
    accuracy = sheet.rows[0][sheet.columns.index("final accuracy")]
    assert accuracy.interval.mean == pytest.approx(0.61) and accuracy.runs == 3


def test_html_report_embeds_tables_and_figures(tmp_path: Path) -> None:
    save_comparison(run_comparison(SCENARIOS[:1], seeds=1), tmp_path)
    page = build_report(tmp_path).read_text()
    assert page.count("<table>") >= 1 and page.count("data:image/png;base64,") >= 1
    assert "characterize_two_site" in page and "<circle" in page
    assert "<script src" not in page and "<link" not in page and 'src="http' not in page  # one file, nothing fetched


def test_report_of_an_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no compare.json"):
        build_report(tmp_path)
