"""report.html in a real browser: headless Chromium, driven over the W3C WebDriver protocol by chromedriver.

The page must stand alone (no network), its tables must sort when a header is clicked, and pointing at a
marked point of a figure must show the value. Without chromedriver the page's scripts are still run in
headless Chromium (a probe script in a copy of the page clicks and dispatches the events); both are skipped
where Chromium is not installed (Debian packages ``chromium`` and ``chromium-driver``; /usr/bin/chromium is
used when present).
"""

from __future__ import annotations

import base64
import html
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qnet_dqnn.report.html import build_report
from qnet_dqnn.report.study import save_comparison
from qnet_dqnn.scenario import RunResult

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
DRIVER = "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else shutil.which("chromedriver")


class WebDriver:
    """The few WebDriver commands the test needs (https://www.w3.org/TR/webdriver2/), over plain HTTP."""

    def __init__(self, port: int, session: str) -> None:
        self.base = f"http://127.0.0.1:{port}/session/{session}"

    @staticmethod
    def call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - a local chromedriver
            return json.loads(reply.read())["value"]

    def run(self, script: str, *args: Any) -> Any:
        return self.call(f"{self.base}/execute/sync", "POST", {"script": script, "args": list(args)})

    def find(self, css: str) -> list[dict[str, str]]:
        return self.call(f"{self.base}/elements", "POST", {"using": "css selector", "value": css})

    def click(self, element: dict[str, str]) -> None:
        self.call(f"{self.base}/element/{next(iter(element.values()))}/click", "POST", {})

    def point_at(self, element: dict[str, str]) -> None:
        move = {"type": "pointerMove", "duration": 0, "origin": element, "x": 0, "y": 0}
        actions = [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [move]}]
        self.call(f"{self.base}/actions", "POST", {"actions": actions})


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    driver = subprocess.Popen([str(DRIVER), f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                WebDriver.call(f"http://127.0.0.1:{port}/status")
                break
            except OSError:
                time.sleep(0.05)
        profile = tmp_path_factory.mktemp("chromium-profile")
        options = {
            "binary": str(CHROMIUM),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1400,1000",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
            ],
        }
        try:
            session = WebDriver.call(
                f"http://127.0.0.1:{port}/session",
                "POST",
                {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}},
            )
        except OSError as exc:  # the wrapper script as binary is refused by some builds: let chromedriver find it
            del options["binary"]
            session = WebDriver.call(
                f"http://127.0.0.1:{port}/session",
                "POST",
                {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}},
            )
            assert session, exc
        web = WebDriver(port, session["sessionId"])
        yield web
        WebDriver.call(web.base, "DELETE")
    finally:
        driver.terminate()
        driver.wait(timeout=30)


def _result(name: str, seed: int, bits: int, accuracy: float) -> RunResult:
    return RunResult(
        scenario=name,
        workload="train",
        seed=seed,
        topology="t",
        simulated_time_s=2.0,
        events_processed=10,
        metrics={"final_accuracy": accuracy, "updates": 3.0},
        curves={
            "loss": {"t_s": [0.5, 1.0, 2.0], "value": [1.0, 0.6, 0.4]},
            "accuracy": {"t_s": [0.5, 1.0, 2.0], "value": [0.5, 0.7, accuracy]},
        },
        ledger={"totals": {"bits": bits, "pairs_delivered": 5, "pairs_consumed": 4, "shots": 100}},
        timeline={"q0": [[0.0, 0.5, "compute"], [0.5, 0.7, "wait_message"]], "q1": [[0.1, 0.3, "wait_pairs"]]},
        wall={"wall_time_s": 0.1},
    )


@pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="headless Chromium and chromedriver are not installed")
def test_the_report_sorts_its_tables_and_shows_values_under_the_pointer(tmp_path: Path, browser: WebDriver) -> None:
    runs = {
        "b_middle": [_result("b_middle", s, 1000 + 10 * s, 0.8) for s in range(2)],
        "a_most": [_result("a_most", s, 90000 + 10 * s, 0.7) for s in range(2)],
        "c_least": [_result("c_least", s, 5 + s, 0.9) for s in range(2)],
    }
    save_comparison(runs, tmp_path)
    page = build_report(tmp_path)
    browser.call(f"{browser.base}/url", "POST", {"url": page.as_uri()})
    assert browser.run("return document.readyState") == "complete"
    assert browser.run("return performance.getEntriesByType('resource').length") == 0  # nothing fetched
    assert browser.run("return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")

    column = "return Array.from(document.querySelector('table').tBodies[0].rows).map(r => r.cells[0].textContent)"
    assert browser.run(column) == ["b_middle", "a_most", "c_least"]
    bits = next(
        h for h in browser.find("table:first-of-type th") if browser.run("return arguments[0].textContent", h) == "bits"
    )
    browser.click(bits)
    assert browser.run(column) == ["c_least", "b_middle", "a_most"]  # 5.5 < 1005 < 90005: by number, not text
    browser.click(bits)
    assert browser.run(column) == ["a_most", "b_middle", "c_least"]

    circles = browser.find("svg circle[data-tip]")
    assert circles
    target = next(c for c in circles if "a_most" in browser.run("return arguments[0].dataset.tip", c))
    browser.point_at(target)
    tip = browser.run("const t = document.getElementById('tip'); return [t.style.display, t.textContent]")
    assert tip[0] == "block" and tip[1].startswith("a_most: ") and "90005 ± " in tip[1]

    shot = base64.b64decode(WebDriver.call(f"{browser.base}/screenshot"))
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000


PROBE = """
<script>
// test probe, appended to a copy of the page: sort by "bits" twice, point at a bar, write what was seen
const seen = {};
const column = () => Array.from(document.querySelector('table').tBodies[0].rows).map(r => r.cells[0].textContent);
seen.before = column();
const bits = Array.from(document.querySelectorAll('th')).find(h => h.textContent === 'bits');
bits.click(); seen.ascending = column();
bits.click(); seen.descending = column();
const target = Array.from(document.querySelectorAll('circle[data-tip]')).find(c => c.dataset.tip.startsWith('a_most'));
target.dispatchEvent(new MouseEvent('mouseenter'));
seen.tip = document.getElementById('tip').textContent;
seen.shown = document.getElementById('tip').style.display;
document.body.setAttribute('data-probe', JSON.stringify(seen));
</script>
"""


@pytest.mark.skipif(CHROMIUM is None or DRIVER is not None, reason="covered by the WebDriver test")
def test_without_chromedriver_the_page_scripts_still_run_in_chromium(tmp_path: Path) -> None:
    runs = {
        "b_middle": [_result("b_middle", s, 1000 + 10 * s, 0.8) for s in range(2)],
        "a_most": [_result("a_most", s, 90000 + 10 * s, 0.7) for s in range(2)],
        "c_least": [_result("c_least", s, 5 + s, 0.9) for s in range(2)],
    }
    save_comparison(runs, tmp_path)
    probed = tmp_path / "probed.html"
    probed.write_text(build_report(tmp_path).read_text().replace("</body>", PROBE + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [str(CHROMIUM), *flags, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    seen = json.loads(html.unescape(dom.split('data-probe="', 1)[1].split('"', 1)[0]))
    assert seen["before"] == ["b_middle", "a_most", "c_least"]
    assert seen["ascending"] == ["c_least", "b_middle", "a_most"]
    assert seen["descending"] == ["a_most", "b_middle", "c_least"]
    assert seen["shown"] == "block" and seen["tip"].startswith("a_most: ") and "90005 ± " in seen["tip"]
