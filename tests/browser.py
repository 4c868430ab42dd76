"""Headless Chromium for tests that open the HTML report, driven by Selenium.

Only the system's Chromium and chromedriver are used (Debian packages ``chromium`` and
``chromium-driver``), named by path so that Selenium Manager never tries to download a browser or a
driver: tests run without network. Missing Chromium skips the test locally and fails it in CI
(environment variable ``CI`` set), the same policy as the sample clips in ``conftest.sample``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("FORMCHECK_CHROMEDRIVER", "/usr/bin/chromedriver"))
INSTALL_HINT = "apt-get install -y chromium chromium-driver"


def require_chromium() -> None:
    """Skip (or, in CI, fail) the calling test unless Chromium, chromedriver and Selenium are here."""
    problems = [f"{path} is missing" for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        problems.append("the selenium package is not installed (pip install -e '.[test]')")
    if problems:
        message = "; ".join(problems) + f" (headless browser tests need: {INSTALL_HINT})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium(width: int = 1280, height: int = 2000) -> Iterator:
    """A headless Chromium WebDriver with a fixed window size; quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                     "--allow-file-access-from-files", f"--window-size={width},{height}"):
        options.add_argument(argument)
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def full_page_screenshot(driver, path: Path) -> Path:
    """Save a PNG of the whole page (not only the window) at ``path`` and return the path."""
    import base64

    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    path = Path(path)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
