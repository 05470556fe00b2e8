"""Open an HTML file in Debian's headless chromium (Selenium) with the network off.

Used by the browser test and runnable by hand to look at a report:
``python -m tests.report.browser build/report.html build/report.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for p in paths:
        if Path(p).is_file():
            return p
    return shutil.which(name)


def find_chromium() -> tuple[str, str] | None:
    """Paths of chromium and its driver, or None when either is missing."""
    browser = _first(CHROMIUM, "chromium")
    driver = _first(DRIVER, "chromedriver")
    return (browser, driver) if browser and driver else None


@dataclass
class PageCheck:
    """What the browser saw."""

    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    console: list[dict[str, object]] = field(default_factory=list)  # browser log entries
    plots: int = 0  # plotly divs
    rendered: int = 0  # plotly divs holding an svg.main-svg
    empty: list[str] = field(default_factory=list)  # ids of plot divs without an svg
    title: str = ""


def open_page(path: Path, screenshot: Path | None = None, width: int = 1280) -> PageCheck:
    """Load ``path`` from disk with every network route closed; collect logs; screenshot.

    The network is off three ways: a proxy to a closed local port, host
    resolution mapped to nothing, and no background services; then the
    performance log lists every request so a test can assert none left.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError("chromium and chromedriver are not installed")
    browser, driver = found
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},900",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-features=OptimizationHints,MediaRouter,Translate",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=driver, log_output=os.devnull)
    drv = webdriver.Chrome(options=opts, service=service)
    check = PageCheck()
    try:
        drv.set_page_load_timeout(60)
        drv.get(path.resolve().as_uri())
        drv.execute_script("return document.readyState")
        # wait until plotly has drawn every figure (or 30 s)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(drv, 30).until(
            lambda d: d.execute_script(
                "const p=[...document.querySelectorAll('.plotly-graph-div')];"
                "return p.length>0 && p.every(e=>e.querySelector('svg.main-svg'));"
            )
        )
        check.title = drv.title
        check.plots = drv.execute_script(
            "return document.querySelectorAll('.plotly-graph-div').length"
        )
        check.rendered = drv.execute_script(
            "return [...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(e=>e.querySelector('svg.main-svg')).length"
        )
        check.empty = drv.execute_script(
            "return [...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(e=>!e.querySelector('svg.main-svg')).map(e=>e.id)"
        )
        if screenshot is not None:
            height = drv.execute_script("return document.documentElement.scrollHeight")
            drv.set_window_size(width, min(int(height) + 100, 16000))
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            drv.save_screenshot(str(screenshot))
        check.console = list(drv.get_log("browser"))
        for entry in drv.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                check.requests.append(str(msg["params"]["request"]["url"]))
    finally:
        drv.quit()
    return check


if __name__ == "__main__":  # pragma: no cover
    page = Path(sys.argv[1])
    shot = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(open_page(page, shot))
