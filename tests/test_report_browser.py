"""Reports opened in headless Chromium (Debian's `chromium`, installed by .ci/run).

The browser is driven over its DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages on fds 3 and 4), so no websocket
client or other dependency is needed. For each report the test checks:

- no console message of level error, no uncaught exception, no log entry of
  level error (e.g. a resource that failed to load);
- no request other than the page itself and data: URIs (the page opens offline);
- every chart of the page (each `figure.chart`, as many as the report built)
  holds an SVG of non-zero size;
- a full-page screenshot is not blank (many distinct colours, not one flat colour).

And for the sweep reports (and the front, alternatives and quickstart pages), no
text of a chart's SVG overlaps another and none reaches outside the SVG
(`TEXT_JS`: the boxes Chromium lays out for matplotlib's text groups).

Run `python tests/test_report_browser.py --screenshot docs/report-quickstart.png`
to (re)make the README's screenshot of the quickstart report.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-default-apps", "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(self, path: str, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="dcopt-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def child_fds() -> None:  # runs in the child: its fd 3 reads commands, fd 4 writes replies
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [path, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             "about:blank"],
            preexec_fn=child_fds,  # noqa: PLW1509 - the pipes must be fds 3 and 4 in the child
            close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self._targets: dict[str, str] = {}

    # ------------------------------------------------------------------ protocol
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg: dict = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        reply = self.wait(lambda m, i=self._id: m.get("id") == i)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, pred, timeout_s: float | None = None) -> dict:
        """The next message matching pred; other messages are kept in self.events."""
        end = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if pred(msg):
                    return msg
                self.events.append(msg)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._r], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe (exit code {self.proc.poll()})")
                self._buf += chunk

    def drain(self, seconds: float) -> None:
        try:
            self.wait(lambda m: False, seconds)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ pages
    def open(self, url: str, width: int = 1280, height: int = 900) -> str:
        """Open url in a new tab; return the tab's session id once the page has loaded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._targets[session] = target
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session)
        self.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session)
        self.drain(0.3)
        return session

    def evaluate(self, session: str, expression: str):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, session: str, full_page: bool = True, height: int | None = None) -> bytes:
        params: dict = {"format": "png"}
        if full_page or height:
            size = self.evaluate(session, "[document.documentElement.scrollWidth,"
                                          " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": height or size[1], "scale": 1}
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.send("Page.captureScreenshot", params, session)["data"])

    def close_tab(self, session: str) -> None:
        self.send("Target.closeTarget", {"targetId": self._targets.pop(session)})

    def problems(self, session: str) -> list[str]:
        """Console errors, uncaught exceptions, error log entries and network requests of the tab."""
        out = []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console error: " + " ".join(str(a.get("value", a.get("description")))
                                                        for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log error: " + p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    out.append("network request: " + url)
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(10)
        except Exception:  # noqa: BLE001, S110 - killed below if it did not close
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


CHARTS_JS = """[...document.querySelectorAll('figure.chart')].map(f => {
  const s = f.querySelector('.plot svg');
  const r = s ? s.getBoundingClientRect() : {width: 0, height: 0};
  return {id: f.id, width: r.width, height: r.height, shapes: s ? s.querySelectorAll('path, use').length : 0};
})"""


def image_stats(png: bytes) -> tuple[int, int, int, float]:
    """(width, height, distinct colours in a sample, share of the most common colour)."""
    from PIL import Image  # pillow comes with matplotlib

    img = Image.open(io.BytesIO(png)).convert("RGB")
    w, hgt = img.size
    small = img.resize((max(1, w // 4), max(1, hgt // 4)))
    counts = small.getcolors(maxcolors=1 << 24)
    top = max(c for c, _ in counts)
    return w, hgt, len(counts), top / (small.size[0] * small.size[1])


# =========================================================================== tests

@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the browser test: .ci/run installs "
                        "Debian's chromium package; see its output")
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    b = Chromium(path)
    yield b
    b.close()


def _reports(tmp_path_factory) -> list[tuple[str, Path, list[str]]]:
    import test_report as tr

    out = []
    folder = tmp_path_factory.mktemp("browser-reports")
    for name, _, _ in tr.solved_instances():
        html_text = tr.instance_report(name)
        path = folder / f"{name}.html"
        path.write_text(html_text, encoding="utf-8")
        out.append((name, path, tr.chart_ids(html_text)))
    for design, table in tr.synthetic_sweeps().items():
        html_text, ids = tr.build_sweep_report(table, design)
        path = folder / f"sweep-{design}.html"
        path.write_text(html_text, encoding="utf-8")
        out.append((f"sweep-{design}", path, ids))
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return _reports(tmp_path_factory)


def page_problems(browser: Chromium, path: Path, ids: list[str]) -> list[str]:
    """What is wrong with the report at `path` in the browser: console errors, requests, charts
    missing or empty (against the chart ids built), a blank screenshot."""
    session = browser.open(path.resolve().as_uri())
    charts = browser.evaluate(session, CHARTS_JS)
    problems = browser.problems(session)
    if [c["id"] for c in charts] != ids:
        problems.append(f"charts on the page {[c['id'] for c in charts]} != charts built {ids}")
    for c in charts:
        if not (c["width"] > 50 and c["height"] > 50 and c["shapes"] > 0):
            problems.append(f"chart {c['id']} is empty or has no size: {c}")
    png = browser.screenshot(session, full_page=True)
    w, hgt, colours, top = image_stats(png)
    if w < 600 or hgt < 600 or colours < 50 or top > 0.97:
        problems.append(f"screenshot looks blank: {w}x{hgt}, {colours} colours, top colour {top:.0%}")
    browser.close_tab(session)
    return problems


def test_reports_render_in_chromium(browser, reports):
    failures = []
    for name, path, ids in reports:
        problems = page_problems(browser, path, ids)
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)


SECTION8_REPORTS = ["every-feature", "every-feature-one-future", "v2_job_span_two_sites", "v2_grid_upgrade",
                    "v2_onsite_generation", "v2_rental"]
"""Section-8 solutions (tests/test_report_sections8.py): jobs, routes, lifecycle, power, supply, scenarios."""


@pytest.mark.parametrize("name", SECTION8_REPORTS)
def test_section8_reports_render_in_chromium(browser, name, tmp_path):
    import test_report as tr
    import test_report_sections8 as t8

    html_text = t8.report(name)
    path = tmp_path / f"{name}.html"
    path.write_text(html_text, encoding="utf-8")
    ids = tr.chart_ids(html_text)
    assert set(t8.EXPECTED[name]) <= set(ids)
    problems = page_problems(browser, path, ids)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_a_broken_page_is_caught(browser, tmp_path):
    """The checks above can fail: a page with a console error and a network request."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("boom")</script>'
                    '<img src="http://example.invalid/x.png"></body></html>', encoding="utf-8")
    session = browser.open(page.as_uri())
    browser.drain(1.0)
    problems = browser.problems(session)
    assert any("console error: boom" in p for p in problems), problems
    assert any("network request: http://example.invalid/x.png" in p for p in problems), problems


TEXT_JS = r"""[...document.querySelectorAll('figure.chart')].map(f => {
  const s = f.querySelector('.plot svg');
  if (!s) return {id: f.id, texts: 0, overlaps: [], outside: []};
  const box = s.getBoundingClientRect();
  const texts = [...s.querySelectorAll('g[id]')].filter(g => /(^|-)text_\d+$/.test(g.id)).map(g => {
    const r = g.getBoundingClientRect();
    const c = [...g.childNodes].find(n => n.nodeType === Node.COMMENT_NODE);
    return {text: c ? c.data.trim() : g.id, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
  }).filter(t => t.x1 > t.x0 && t.y1 > t.y0);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const a = texts[i], b = texts[j];
    const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
    if (w > 1 && h > 1) overlaps.push(a.text + ' / ' + b.text);
  }
  const outside = texts.filter(t => t.x0 < box.left - 1 || t.x1 > box.right + 1 || t.y0 < box.top - 1
                                    || t.y1 > box.bottom + 1).map(t => t.text);
  return {id: f.id, texts: texts.length, overlaps: overlaps, outside: outside};
})"""
"""Per chart: how many text boxes, the pairs that overlap (by more than 1 px each way, text as
matplotlib's comment in the group names it) and the texts reaching outside the SVG."""


def text_problems(browser: Chromium, path: Path) -> list[str]:
    session = browser.open(path.resolve().as_uri())
    charts = browser.evaluate(session, TEXT_JS)
    browser.close_tab(session)
    out = [f"{c['id']}: no text" for c in charts if c["texts"] == 0]
    for c in charts:
        out += [f"{c['id']}: overlap {o!r}" for o in c["overlaps"]]
        out += [f"{c['id']}: outside the chart {o!r}" for o in c["outside"]]
    return out


def _table_pages() -> dict[str, str]:
    """The sweep reports, the front and alternatives pages of tiny instances, the quickstart report."""
    import test_report as tr
    from test_alternatives import two_sites, with_g2
    from test_pareto import two_carbon_sites

    import dcopt
    from dcopt.report.alternatives import alternatives_report_html
    from dcopt.report.front import front_report_html

    pages = {f"sweep-{d}": tr.build_sweep_report(table, d)[0] for d, table in tr.synthetic_sweeps().items()}
    pages["sweep-grid-3"] = tr.build_sweep_report(tr.three_parameter_grid(), "three parameters")[0]
    alts = dcopt.alternatives(with_g2(two_sites()), slack=0.01, count=4, mip_gap=1e-9)
    pages["alternatives"] = alternatives_report_html(alts.table)
    pages["front"] = front_report_html(dcopt.pareto(two_carbon_sites(), points=5, mip_gap=1e-9).table())
    solution, inst = tr.solve_instance(tr.INSTANCES / "quickstart.json")
    pages["quickstart"] = tr.build_solution_report(solution, inst)[0]
    return pages


def test_no_text_overlaps_or_leaves_the_charts(browser, tmp_path):
    failures = []
    for name, html_text in _table_pages().items():
        path = tmp_path / f"{name}.html"
        path.write_text(html_text, encoding="utf-8")
        failures += [f"{name}: {p}" for p in text_problems(browser, path)]
    assert not failures, "\n".join(failures)


def test_overlapping_and_clipped_text_is_caught(browser, tmp_path):
    """The check above can fail: two labels drawn over each other, a title wider than its chart."""
    from dcopt.report import charts as ch

    with ch.figure(2.0) as (fig, ax):
        ax.text(0.5, 0.5, "one label", transform=ax.transAxes)
        ax.text(0.52, 0.5, "another label", transform=ax.transAxes)
        ax.set_title("a title far too long for its chart " * 6)
        svg = ch.svg(fig, "bad", "bad")
    page = tmp_path / "bad.html"
    page.write_text(f'<!DOCTYPE html><html><body><figure class="chart" id="bad"><div class="plot">{svg}'
                    "</div></figure></body></html>", encoding="utf-8")
    problems = text_problems(browser, page)
    assert "bad: overlap 'one label / another label'" in problems, problems
    assert any(p.startswith("bad: outside the chart 'a title far too long") for p in problems), problems
    assert len(problems) == 2, problems


# =========================================================================== screenshot for the docs

def main(argv: list[str]) -> int:
    """--screenshot OUT.png [--height PX]: solve the quickstart, build its report, screenshot it."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshot", required=True, type=Path)
    ap.add_argument("--height", type=int, default=None, help="Crop to this height (px); default full page.")
    ap.add_argument("--report", type=Path, default=None, help="Screenshot this report instead.")
    args = ap.parse_args(argv)
    path = chromium_path()
    if path is None:
        print("chromium is not installed", file=sys.stderr)
        return 1
    report = args.report
    if report is None:
        import test_report as tr

        solution, inst = tr.solve_instance(tr.INSTANCES / "quickstart.json", quick=False)
        report = Path(tempfile.mkdtemp()) / "quickstart.html"
        report.write_text(tr.build_solution_report(solution, inst)[0], encoding="utf-8")
    b = Chromium(path)
    try:
        session = b.open(report.resolve().as_uri(), width=1100)
        png = b.screenshot(session, full_page=args.height is None, height=args.height)
        problems = b.problems(session)
    finally:
        b.close()
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    args.screenshot.write_bytes(png)
    print(f"wrote {args.screenshot} ({len(png):,} bytes){'; problems: ' + str(problems) if problems else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
