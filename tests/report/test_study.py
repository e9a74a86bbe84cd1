"""Comparison rows, the figures of a study (axis labels, non-empty PNGs) and the HTML report."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import qnet_dqnn.report.figures as result_figures
import qnet_dqnn.report.study_figures as study_figures
from qnet_dqnn.report.html import build_report
from qnet_dqnn.report.study import comparison_rows, load_comparison, save_comparison
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.scenario.compare import run_comparison

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [ROOT / "scenarios" / "characterize_two_site.yaml", ROOT / "scenarios" / "characterize_chain.yaml"]


def _fake(name: str, seed: int, bits: int, accuracy: float) -> RunResult:
    """A result as a training strategy would report it (curves, timeline, metrics)."""
    return RunResult(
        scenario=name,
        workload="train",
        seed=seed,
        topology="t",
        simulated_time_s=2.0,
        events_processed=10,
        metrics={"final_accuracy": accuracy},
        curves={
            "loss": {"t_s": [0.0, 1.0, 2.0], "value": [1.0, 0.6, 0.4]},
            "accuracy": {"t_s": [0.0, 1.0, 2.0], "value": [0.5, 0.7, accuracy]},
        },
        ledger={"totals": {"bits": bits, "pairs_delivered": 5, "pairs_consumed": 4, "shots": 100}},
        timeline={"q0": [[0.0, 0.5, "compute"], [0.5, 0.7, "wait_message"]], "q1": [[0.1, 0.3, "wait_pairs"]]},
        wall={"wall_time_s": 0.1},
    )


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Figures saved during the test, kept for inspection (each module binds its own save function)."""
    figures: list[Any] = []
    for module, name in ((study_figures, "save_figure"), (result_figures, "save_figure")):
        real = getattr(module, name)

        def spy(fig: Any, path: Path, real: Any = real) -> Path:
            figures.append(
                {"labels": {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}, "path": path}
            )
            return real(fig, path)

        monkeypatch.setattr(module, name, spy)
    return figures


def test_comparison_rows_are_mean_and_std_over_seeds() -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8), _fake("a", 1, 300, 0.9)], "b": [_fake("b", 0, 50, 0.7)]}
    a, b = comparison_rows(runs)
    assert a["bits mean"] == 200 and a["bits std"] == pytest.approx(math.sqrt(2) * 100)
    assert a["final accuracy mean"] == pytest.approx(0.85) and b["seeds"] == 1 and b["bits std"] == 0
    assert math.isnan(a["telegates mean"])  # not reported by this workload


def test_each_study_figure_renders_with_its_axis_labels(tmp_path: Path, captured: list[Any]) -> None:
    runs = {"a": [_fake("a", 0, 100, 0.8)], "b": [_fake("b", 0, 50, 0.7)]}
    study_figures.overhead_figure(runs, tmp_path / "o.png")
    study_figures.curves_figure(runs, tmp_path / "c.png")
    study_figures.timeline_figure(runs, tmp_path / "t.png")
    rows = [{"x": 1.0, "runs": 2, "m_mean": 1.0, "m_std": 0.1}, {"x": 2.0, "runs": 2, "m_mean": 2.0, "m_std": 0.2}]
    study_figures.sweep_figure(["x", "seed"], rows, tmp_path / "s.png")
    expected = [
        {"classical bits sent (per run)", "entangled pairs (per run)", "circuit shots on QPUs (per run)"},
        {"simulated time (s)", "loss", "accuracy"},
        {"simulated time (s)"},
        {"x", "m"},
    ]
    for figure, labels in zip(captured, expected, strict=True):
        assert labels <= figure["labels"], figure["labels"]
        assert figure["path"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure["path"].stat().st_size > 5_000


def test_compare_writes_a_record_that_rebuilds_the_same_rows(tmp_path: Path, captured: list[Any]) -> None:
    runs = run_comparison(SCENARIOS, seeds=2)
    assert [len(r) for r in runs.values()] == [2, 2]
    assert runs["characterize_two_site"][0].seed + 1 == runs["characterize_two_site"][1].seed
    folder, figures = save_comparison(runs, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["compare.csv", "compare.json", "overhead.png"]
    back = load_comparison(folder)
    strip = [{k: v for k, v in r.items() if not k.startswith("wall")} for r in comparison_rows(back)]
    assert strip == [{k: v for k, v in r.items() if not k.startswith("wall")} for r in comparison_rows(runs)]
    assert any("entangled pairs (per run)" in f["labels"] for f in captured)


def test_html_report_embeds_tables_and_figures(tmp_path: Path) -> None:
    save_comparison(run_comparison(SCENARIOS[:1], seeds=1), tmp_path)
    page = build_report(tmp_path).read_text()
    assert page.count("<table>") >= 1 and page.count("data:image/png;base64,") >= 1
    assert "characterize_two_site" in page


def test_report_of_an_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no compare.json"):
        build_report(tmp_path)


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed (Debian package 'chromium')")
    save_comparison({"a": [_fake("a", 0, 100, 0.8)], "b": [_fake("b", 0, 50, 0.7)]}, tmp_path)
    page = build_report(tmp_path)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "<table>" in dom.stdout and dom.stdout.count("<img") == 3  # overhead, curves, timeline
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
