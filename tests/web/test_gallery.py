"""The web gallery in headless Chromium against a real `studio serve` with the ComfyUI double:
the form, live progress, the job view, remix, favorites, filters, search, delete and cancel."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.web.browser import Browser

# The gallery's page of tiles (server/web/static/gallery.js).
PAGE_SIZE = 60


def submit_from_the_form(browser: Browser, studio: Stack, prompt: str) -> str:
    """Types `prompt` into the new-job form and submits it; the id of the job it made."""
    browser.open(f"{studio.url}/")
    browser.click("#new-job")
    browser.find("#job-form textarea[id='field-params.prompt']").send_keys(prompt)
    browser.click("#job-form button[type=submit]")
    browser.wait(lambda: browser.path() == "/", "the form to close")
    tile = browser.text("#gallery li.tile", prompt)
    return tile.get_attribute("data-id")


def finished(studio: Stack, job_id: str) -> dict:
    return studio.wait(job_id)


def test_the_page_names_its_files_by_content_and_allows_nothing_from_elsewhere(studio: Stack) -> None:
    page = httpx.get(f"{studio.url}/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self' 'sha256-" in policy and "http" not in policy
    script = re.search(r'<script type="module" src="([^"]+)"', page.text).group(1)
    assert script.startswith("/app/main.") and script.count(".") == 2
    asset = httpx.get(f"{studio.url}{script}")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{studio.url}/jobs/5b0c").text == page.text  # deep links open the same page
    missing = httpx.get(f"{studio.url}/app/main.000000000000.js")
    assert missing.status_code == 404 and "reload the page" in missing.json()["detail"]


def test_a_job_from_the_form_runs_to_100_and_its_tile_appears(browser: Browser, studio: Stack) -> None:
    job_id = submit_from_the_form(browser, studio, "a red fox in the snow")
    entry = f"#queue-list li[data-id='{job_id}']"
    browser.wait(lambda: browser.find(f"{entry} progress").get_attribute("value") == "100", "the queue's bar at 100")
    tile = f"#gallery li[data-id='{job_id}']"
    browser.wait(lambda: browser.find(tile).get_attribute("data-status") == "finished", "the tile finished")
    assert browser.find(f"{tile} img").get_attribute("src").startswith(f"{studio.url}/thumbs/{job_id}/")  # not the full image
    assert browser.find("#connection").text == "Live"
    fetched = browser.driver.execute_script("return performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert fetched and all(url.startswith(f"{studio.url}/") or url.startswith("ws://127.0.0.1") for url in fetched), fetched


def test_a_refused_value_is_shown_next_to_its_field(browser: Browser, studio: Stack) -> None:
    browser.open(f"{studio.url}/new")
    browser.find("#job-form textarea[id='field-params.prompt']").send_keys("too many")
    batch = browser.find("#job-form input[id='field-params.batch_size']")
    batch.clear()
    batch.send_keys("9")
    browser.click("#job-form button[type=submit]")
    error = browser.text("#job-form [data-field='params.batch_size'] .field-error", "at most 4")
    assert batch.get_attribute("aria-invalid") == "true" and error.is_displayed()
    assert browser.path() == "/new"  # nothing was sent on: the form stays


def test_the_job_view_shows_every_parameter_and_a_remix_keeps_the_seed(browser: Browser, studio: Stack) -> None:
    original = finished(studio, studio.submit(prompt="a lighthouse at dusk")["id"])
    browser.open(f"{studio.url}/jobs/{original['id']}")
    view = browser.find("#job-view[open]")
    browser.text("#job-view .params tr.default", f"{original['seed']} (default)")  # dimmed: left to the workflow
    defaults = [row.text for row in browser.all("#job-view .params tr.default")]
    assert any(row.startswith("Steps") and "20 (default)" in row for row in defaults), defaults
    assert [row.text for row in browser.all("#job-view .params tr:not(.default)")][:1] == ["workflow text_to_image"]
    assert view.find_element(By.CSS_SELECTOR, ".pictures img").get_attribute("src").startswith(f"{studio.url}/outputs/")
    browser.click("#job-view [data-action=remix]")
    browser.wait(lambda: browser.path() == f"/new?remix={original['id']}", "the remix form")
    seed = browser.find("#job-form input[id='field-params.seed']")
    assert seed.get_attribute("value") == str(original["seed"]) and not browser.find("#random-seed").is_selected()
    prompt = browser.find("#job-form textarea[id='field-params.prompt']")
    prompt.clear()
    prompt.send_keys("a lighthouse at dawn")
    browser.click("#job-form button[type=submit]")
    tile = browser.text("#gallery li.tile", "a lighthouse at dawn")
    remix = finished(studio, tile.get_attribute("data-id"))
    assert remix["remix_of"] == original["id"] and remix["seed"] == original["seed"]


def test_favorite_from_the_tile_then_filter_favorites_status_and_search(browser: Browser, studio: Stack) -> None:
    fox, castle = (finished(studio, studio.submit(prompt=prompt)["id"]) for prompt in ("a fox den", "a castle on a hill"))
    browser.open(f"{studio.url}/")
    browser.click(f"#gallery li[data-id='{castle['id']}'] button.favorite")
    browser.wait(lambda: browser.find(f"#gallery li[data-id='{castle['id']}'] button.favorite").get_attribute("aria-pressed") == "true", "the star")
    assert studio.job(castle["id"])["favorite"] is True
    browser.click("#filter-favorite")
    browser.wait(lambda: browser.tiles() == [castle["id"]], "only the favorite")
    assert browser.path() == "/?favorite=true"
    browser.click("#filter-favorite")
    browser.find("#filter-q").send_keys("fox")
    browser.wait(lambda: fox["id"] in browser.tiles() and castle["id"] not in browser.tiles(), "only foxes")
    assert browser.path() == "/?q=fox"
    browser.driver.refresh()  # a bookmark of the search opens the same view
    browser.wait(lambda: fox["id"] in browser.tiles() and castle["id"] not in browser.tiles(), "only foxes after a reload")
    assert browser.find("#filter-q").get_attribute("value") == "fox"
    browser.open(f"{studio.url}/?status=failed")
    browser.text("#gallery-end", "No jobs here yet.")
    assert browser.tiles() == [] and browser.find("#filter-status").get_attribute("value") == "failed"


def test_arrows_move_between_jobs_and_escape_closes_the_view(browser: Browser, studio: Stack) -> None:
    for prompt in ("first", "second", "third"):
        finished(studio, studio.submit(prompt=prompt)["id"])
    browser.open(f"{studio.url}/")
    newest, middle, oldest = browser.wait(lambda: browser.tiles()[:3] if len(browser.tiles()) >= 3 else None, "three tiles")
    browser.click(f"#gallery li[data-id='{middle}'] a.thumb")
    browser.wait(lambda: browser.path() == f"/jobs/{middle}", "the job view")
    browser.find("#job-view[open]").send_keys(Keys.ARROW_RIGHT)
    browser.wait(lambda: browser.path() == f"/jobs/{oldest}", "the older job")
    browser.find("#job-view[open]").send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
    browser.wait(lambda: browser.path() == f"/jobs/{newest}", "the newest job")
    browser.find("#job-view[open]").send_keys(Keys.ESCAPE)
    browser.wait(lambda: browser.path() == "/" and not browser.all("#job-view[open]"), "the gallery again")


def test_delete_from_the_tile(browser: Browser, studio: Stack) -> None:
    job = finished(studio, studio.submit(prompt="a short-lived sketch")["id"])
    browser.open(f"{studio.url}/")
    browser.click(f"#gallery li[data-id='{job['id']}'] button.delete")
    browser.wait(lambda: browser.driver.switch_to.alert, "the question").accept()
    browser.wait(lambda: job["id"] not in browser.tiles(), "the tile gone")
    assert studio.http.get(f"/api/jobs/{job['id']}").status_code == 404


def test_cancel_a_running_job_from_its_view(browser: Browser, studio: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 1.0  # 20 steps: the job runs long enough to be stopped
    try:
        job = studio.submit(prompt="a slow render")
        browser.open(f"{studio.url}/jobs/{job['id']}")
        studio.wait(job["id"], {"processing"}, progress_at_least=1)
        browser.click("#job-view [data-action=cancel]")
        browser.text("#job-view .status", "cancelled")
    finally:
        double.settings.step_seconds = 0.02
    assert studio.job(job["id"])["status"] == "cancelled"


def test_a_job_that_is_not_there_opens_as_no_such_job(browser: Browser, studio: Stack) -> None:
    browser.open(f"{studio.url}/jobs/0e4f3c1a-9d2b-4c55-8a6e-1f0b2c3d4e5f")
    browser.text("#job-view .not-found", "it was deleted, or it is not yours")


def test_an_image_chosen_in_the_form_is_uploaded_and_used(browser: Browser, studio: Stack, tmp_path: Path) -> None:
    picture = tmp_path / "small.png"
    Image.new("RGB", (64, 48), "teal").save(picture)
    browser.open(f"{studio.url}/new")
    Select(browser.find("#field-workflow")).select_by_value("upscale")
    browser.find("#job-form input[type=file]").send_keys(str(picture))
    browser.text("#job-form .image-name", "small.png (64×48)")
    browser.click("#job-form button[type=submit]")
    browser.wait(lambda: browser.path() == "/", "the form to close")
    job = finished(studio, browser.tiles()[0])
    assert job["workflow"] == "upscale" and job["status"] == "finished" and job["params"]["image"].endswith(".png")


def test_scrolling_down_fetches_the_next_page(browser: Browser, studio: Stack) -> None:
    first = finished(studio, studio.submit(prompt="page filler", seed=7)["id"])
    # The same inputs again: each reuses the first one's outputs, finished at once.
    ids = [first["id"], *(studio.submit(prompt="page filler", seed=7)["id"] for _ in range(PAGE_SIZE))]
    browser.open(f"{studio.url}/?q=page+filler")
    browser.wait(lambda: len(browser.tiles()) == PAGE_SIZE, "the first page")
    browser.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.wait(lambda: browser.tiles() == ids[::-1], "every job, newest first")
    browser.text("#gallery-end", "That is everything.")
    assert browser.driver.execute_script("return performance.getEntriesByName('studio:first-page').length") == 1


def test_the_page_reconnects_by_itself_and_says_so(browser: Browser, studio: Stack) -> None:
    browser.open(f"{studio.url}/")
    browser.find("#connection[data-state=live]")
    studio.kill_worker()  # single process: Studio itself
    browser.text("#connection[data-state=offline]", "reconnecting in")
    studio.restart_worker()
    browser.find("#connection[data-state=live]")
    job = finished(studio, studio.submit(prompt="after the restart")["id"])
    browser.wait(lambda: job["id"] in browser.tiles(), "a job of the new feed")


def test_a_failed_job_shows_its_error_as_the_tui_does(browser: Browser, studio: Stack, double: ComfyDouble) -> None:
    double.settings.fail_class_types = ["VAEDecode"]
    try:
        job = finished(studio, studio.submit(prompt="a doomed render")["id"])
    finally:
        double.settings.fail_class_types = []
    browser.open(f"{studio.url}/jobs/{job['id']}")
    browser.text("#job-view .error-sentence", job["error"])
    browser.text("#job-view .error li", "RuntimeError: ComfyDouble forced failure")


# Every control a keyboard reaches has a name a screen reader says (a label, aria-label or text).
UNNAMED = """
return [...document.querySelectorAll("input, select, textarea, button, a[href]")]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim() || e.querySelector("img[alt]:not([alt=''])")))
  .map((e) => e.outerHTML.slice(0, 120));
"""


def test_every_control_has_a_name_and_the_keyboard_opens_a_job(browser: Browser, studio: Stack) -> None:
    job = finished(studio, studio.submit(prompt="keyboard only")["id"])
    browser.open(f"{studio.url}/")
    link = browser.find(f"#gallery li[data-id='{job['id']}'] a.thumb")
    assert browser.driver.execute_script(UNNAMED) == []
    link.send_keys(Keys.ENTER)
    browser.find("#job-view[open] .params")
    assert browser.driver.execute_script(UNNAMED) == []
    browser.find("#job-view[open]").send_keys(Keys.ESCAPE)
    browser.find("#new-job").send_keys(Keys.ENTER)
    browser.find("#job-form[open] textarea")
    browser.click("#job-form details.advanced summary")
    assert browser.driver.execute_script(UNNAMED) == []
