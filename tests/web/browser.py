"""The web gallery as a browser sees it: Studio with the ComfyUI double behind it, and Debian's
headless Chromium driven through Selenium (chromedriver from the package: Selenium Manager never
downloads a browser)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DoubleSettings
from tests.common.paths import REPO
from tests.common.services import require_service
from tests.common.stacks import MODELS
from tests.integration.worker.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
T = TypeVar("T")


def require_chromium() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        require_service("chromium", "not installed (apt-get install chromium chromium-driver)")


@contextmanager
def served_studio(folder: Path, env: dict[str, str | None] | None = None) -> Iterator[tuple[Stack, ComfyDouble]]:
    """`studio serve` (SQLite under `folder`) in front of the double, which sends a preview per step."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "workflows", folder / "workflows")
    settings = DoubleSettings(models=MODELS, node_seconds=0.02, step_seconds=0.02, preview_method="auto")
    with ComfyDouble(settings, data_dir=folder / "comfyui") as double:
        stack = Stack("single", folder, double.url, f"sqlite:///{folder / 'data' / 'studio.sqlite'}", None, env or {})
        try:
            yield stack.start(), double
        finally:
            stack.stop()


@contextmanager
def chromium(folder: Path, width: int = 1280, height: int = 800) -> Iterator[Browser]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        f"--user-data-dir={folder / 'chromium'}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        "--force-prefers-reduced-motion",
        # Offline: no name resolves but Studio's address.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_window_size(width, height)
    try:
        yield Browser(driver)
    finally:
        driver.quit()


class Browser:
    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str) -> WebElement:
        return self.wait(lambda: self.driver.find_element(By.CSS_SELECTOR, css), f"an element {css}")

    def click(self, css: str) -> None:
        """Click the element, found again while the page redraws it (a live event, a reload)."""
        self.wait(lambda: self.driver.find_element(By.CSS_SELECTOR, css).click() or True, f"a click on {css}")

    def type(self, css: str, text: str) -> None:
        self.wait(lambda: self.driver.find_element(By.CSS_SELECTOR, css).send_keys(text) or True, f"typing into {css}")

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, probe: Callable[[], T], what: str, timeout: float = 20) -> T:
        """Until `probe` returns something truthy without raising; its value."""
        last: list[str] = []

        def check(_: object) -> T | bool:
            try:
                return probe()
            except Exception as error:  # noqa: BLE001 - retried until the deadline, then reported
                last[:] = [f"{type(error).__name__}: {error}"[:300]]
                return False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)).until(check)
        except Exception as error:
            raise AssertionError(f"waited {timeout} s for {what}; last error: {last}; console: {self.console()}") from error

    def text(self, css: str, wanted: str) -> WebElement:
        return self.wait(lambda: next(e for e in self.all(css) if wanted in e.text), f"{css} saying {wanted!r}")

    def tiles(self) -> list[str]:
        return [tile.get_attribute("data-id") for tile in self.all("#gallery li.tile")]

    def path(self) -> str:
        return self.driver.execute_script("return location.pathname + location.search")

    def console(self) -> list[str]:
        try:
            return [entry["message"][:300] for entry in self.driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
        except Exception:  # noqa: BLE001 - diagnostics only
            return []

    def fetch_json(self, path: str) -> object:
        """GET `path` as the page would (its cookie), parsed."""
        return json.loads(self.driver.execute_async_script("fetch(arguments[0]).then(r => r.text()).then(arguments[1])", path))
