"""The sweep page opened in Debian's headless Chromium, like the run report: no console error, one chart per
measure with a mean and a CI whisker at every point, the objective's bound drawn, the table complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from test_report_browser import console_errors, open_report, screenshot

from centrex.report.sweep import MEASURES, write_sweep_html
from sim.sweep import run_sweep

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"
OBJECTIVE = "credits_owed_eur.allset.p95 <= 2000"


@pytest.fixture(scope="module")
def demo_sweep(tmp_path_factory):
    """The README's question on the demo: ALLSET crews in sud-est, 3 points × 3 replications."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    return run_sweep(
        DEMO,
        ["repair.crews.sud-est=1,2,4"],
        out=out,
        replications=3,
        workers=2,
        objectives=[OBJECTIVE],
        minimise="repair.crews.sud-est",
        finalize=write_sweep_html,
    )


@pytest.mark.browser
def test_sweep_page_in_headless_chromium(browser, demo_sweep, tmp_path):
    page = demo_sweep.out / "sweep.html"
    open_report(browser, page)
    assert browser.title == "centrex sweep — demo"
    charts = browser.find_elements(By.CSS_SELECTOR, "#measures svg.plot")
    assert [c.get_attribute("id") for c in charts] == [f"plot-{m[0]}" for m in MEASURES]
    profiles = 4
    expected = {"plot-availability": 3 * profiles, "plot-credits_owed_eur": 3 * profiles + 3}
    expected |= {"plot-credits_claimed_eur": 3 * profiles, "plot-install_credits_eur": 3}
    for chart in charts:
        cid = chart.get_attribute("id")
        assert chart.size["width"] > 200 and chart.size["height"] > 100, cid
        marks = chart.find_elements(By.CSS_SELECTOR, ".mark")
        assert int(chart.get_attribute("data-points")) == len(marks), cid
        if cid in expected:
            assert len(marks) == expected[cid], cid
        if marks:
            assert chart.find_elements(By.CSS_SELECTOR, "line.interval"), f"{cid}: no CI whisker"
            assert chart.find_elements(By.CSS_SELECTOR, "polyline.series"), cid
    owed = browser.find_element(By.ID, "plot-credits_owed_eur")
    bound = owed.find_elements(By.CSS_SELECTOR, f".marker[data-label='{OBJECTIVE}']")
    assert bound and float(bound[0].get_attribute("data-value")) == 2000.0
    p95 = owed.find_elements(By.CSS_SELECTOR, ".mark[data-series='allset P95']")
    assert len(p95) == 3  # the objective's own quantile is drawn beside the means
    rows = browser.find_elements(By.CSS_SELECTOR, "#table-points tbody tr")
    assert len(rows) == 3 * profiles
    assert browser.find_elements(By.CSS_SELECTOR, "#table-objectives tbody tr")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-paired tbody tr")) == 2 * profiles
    intro = browser.find_element(By.CSS_SELECTOR, "#recommendation p.intro").text
    assert OBJECTIVE in intro and ("recommendation:" in intro or "no point meets" in intro)
    assert console_errors(browser) == []
    screenshot(browser, tmp_path / "sweep.png")


def test_sweep_page_is_offline_and_stable(demo_sweep):
    """No script and no network reference; the same sweep renders the same bytes."""
    html = (demo_sweep.out / "sweep.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    from centrex.report.sweep import render_sweep_html

    assert render_sweep_html(demo_sweep.sweep) == html
