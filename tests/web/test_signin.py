"""Sign-in when Studio has keys: the page asks for a key once, then works on the session cookie
(nothing secret where scripts can read it); another owner's job is no job; signing out ends it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.common.paths import REPO
from tests.integration.worker.stack import Stack
from selenium.webdriver.support.select import Select

from tests.web.browser import Browser


def make_key(studio: Stack, name: str, *flags: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "studio", "keys", "create", name, *flags], env=studio.env, cwd=REPO, capture_output=True, text=True, check=True
    )
    return made.stdout.split()[0]


@pytest.fixture(scope="module")
def keys(studio: Stack) -> dict[str, str]:
    return {"root": make_key(studio, "root", "--admin"), "alice": make_key(studio, "alice"), "bob": make_key(studio, "bob")}


def submit_as(studio: Stack, key: str, prompt: str) -> dict:
    made = studio.http.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": prompt}}, headers={"Authorization": f"Bearer {key}"})
    assert made.status_code == 202, made.text
    return made.json()


def test_a_key_signs_in_and_someone_elses_job_is_no_job(browser: Browser, studio: Stack, keys: dict[str, str]) -> None:
    alices = submit_as(studio, keys["alice"], "alice's fox")
    bobs = submit_as(studio, keys["bob"], "bob's owl")
    browser.open(f"{studio.url}/")
    field = browser.find("#signin-key")
    field.send_keys("not-a-key")
    browser.click("#signin-form button[type=submit]")
    browser.text("#signin-error", "not one Studio knows")
    field.clear()
    field.send_keys(keys["alice"])
    browser.click("#signin-form button[type=submit]")
    browser.text("#who", "alice (user)")
    browser.wait(lambda: browser.tiles() == [alices["id"]], "alice's job only")
    browser.find("#connection[data-state=live]")  # the socket opened with the cookie
    browser.click(f"#gallery li[data-id='{alices['id']}'] button.favorite")  # a change: the CSRF token goes along
    browser.find(f"#gallery li[data-id='{alices['id']}'] button.favorite[aria-pressed=true]")
    stored = browser.driver.execute_script("return [document.cookie, localStorage.length, sessionStorage.length]")
    assert stored == ["", 0, 0]  # the session cookie is HttpOnly; nothing secret is kept where scripts read
    browser.open(f"{studio.url}/jobs/{bobs['id']}")
    browser.text("#job-view .not-found", "it is not yours")
    browser.find("#job-view[open]").find_element("css selector", "button.close").click()
    browser.click("#sign-out")
    browser.find("#signin:not([hidden])")
    assert browser.fetch_json("/api/me")["status_code"] == 401


def sign_in(browser: Browser, studio: Stack, key: str) -> None:
    browser.open(f"{studio.url}/")
    browser.driver.delete_all_cookies()  # signed out, whatever an earlier test left
    browser.open(f"{studio.url}/")
    browser.type("#signin-key", key)
    browser.click("#signin-form button[type=submit]")
    browser.find("#content:not([hidden])")


def test_an_admin_sees_everyones_jobs_and_narrows_them_by_owner(browser: Browser, studio: Stack, keys: dict[str, str]) -> None:
    bobs = submit_as(studio, keys["bob"], "bob's heron")
    alices = submit_as(studio, keys["alice"], "alice's hare")
    sign_in(browser, studio, keys["root"])
    browser.wait(lambda: {bobs["id"], alices["id"]} <= set(browser.tiles()), "both owners' jobs")
    Select(browser.find("#owner-filter:not([hidden]) #filter-owner")).select_by_value("bob")
    browser.wait(lambda: bobs["id"] in browser.tiles() and alices["id"] not in browser.tiles(), "bob's jobs only")
    assert browser.path() == "/?owner=bob"
    browser.click("#sign-out")
    browser.find("#signin:not([hidden])")
