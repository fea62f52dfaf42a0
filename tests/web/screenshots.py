"""Screenshots of the web gallery for the README: the gallery, a job and the form, at a desktop's
1280x800 and a phone's 390x844, from a Studio (with the ComfyUI double) holding a few jobs, one
of them running. `python -m tests.web.screenshots [--out docs/screenshots]`."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.common.paths import REPO
from tests.web.browser import Browser, chromium, require_chromium, served_studio

SIZES = [(1280, 800), (390, 844)]
FINISHED = [
    ("a red fox in fresh snow, morning light", {"aspect_ratio": "3:2"}),
    ("a lighthouse on a cliff at dusk, storm clouds", {"aspect_ratio": "2:3"}),
    ("four variations of a paper crane", {"batch_size": 4}),
    ("a castle on a hill above a misty valley", {"aspect_ratio": "16:9"}),
    ("macro photo of a dew drop on a leaf", {}),
    ("an isometric city block at night, neon signs", {"aspect_ratio": "4:3"}),
    ("a bowl of ramen, studio lighting", {"aspect_ratio": "1:1"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="folder for the PNGs (default: docs/screenshots)")
    out = parser.parse_args().out
    require_chromium()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, served_studio(Path(folder) / "studio") as (studio, double):
        ids = [studio.submit(prompt=prompt, **params)["id"] for prompt, params in FINISHED]
        for job_id in ids:
            studio.wait(job_id)
        studio.http.put(f"/api/jobs/{ids[1]}/favorite")
        double.settings.fail_class_types = ["VAEDecode"]
        studio.wait(studio.submit(prompt="a watercolour harbour", steps=30)["id"])
        double.settings.fail_class_types = []
        double.settings.step_seconds = 3.0  # one job stays running with a preview, another waits behind it
        running = studio.submit(prompt="a hot-air balloon over vineyards", aspect_ratio="16:9")["id"]
        studio.submit(prompt="a snowy mountain hut, warm windows")
        studio.wait(running, {"processing"}, progress_at_least=10, timeout=60)
        with chromium(Path(folder)) as browser:
            for width, height in SIZES:
                size = f"{width}x{height}"
                resize(browser, width, height)
                browser.open(f"{studio.url}/")
                browser.find(f"#queue-list li[data-id='{running}'] img.preview:not([hidden])")
                settle(browser, "#gallery li.tile img")
                browser.driver.save_screenshot(str(out / f"gallery-{size}.png"))
                browser.open(f"{studio.url}/jobs/{ids[2]}")
                settle(browser, "#job-view .pictures img")
                browser.driver.save_screenshot(str(out / f"job-{size}.png"))
                browser.open(f"{studio.url}/new")
                browser.find("#job-form textarea").send_keys("a lighthouse on a cliff at dawn")
                browser.driver.execute_script("document.activeElement.blur()")
                browser.driver.save_screenshot(str(out / f"form-{size}.png"))
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(REPO) if png.is_relative_to(REPO) else png)


def resize(browser: Browser, width: int, height: int) -> None:
    """The viewport itself at that size (a window's size counts its frame), a phone's touch included."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def settle(browser: Browser, images: str) -> None:
    """Until the images shown have loaded."""
    browser.wait(
        lambda: browser.driver.execute_script(
            "const all = [...document.querySelectorAll(arguments[0])]; return all.length && all.every((i) => i.complete && i.naturalWidth)",
            images,
        ),
        f"{images} loaded",
    )


if __name__ == "__main__":
    main()
