"""Webhooks through a served Studio and a real receiver (tests/integration/webhooks/receiver.py):
signed as Standard Webhooks, retried with backoff, stored across restarts, refused for private
destinations, never in a job's way (server/webhooks/). Tests allow the receiver's 127.0.0.1 with
STUDIO_WEBHOOK_ALLOW=127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import standardwebhooks

from server.access.schemas import KeyCreate
from server.access.service import KeyService
from client.http import StudioClient
from tests.comfyui_double.double import ComfyDouble
from tests.integration.cli.test_submit_preset import submit as cli_submit
from tests.integration.webhooks.readme_snippet import verify
from tests.integration.webhooks.receiver import Answer, Receiver, receiving
from tests.integration.worker.stack import TERMINAL, Stack
from tests.integration.worker.test_fair_queue import in_stack_database
from tests.served import serve_studio

ALLOW = {"STUDIO_WEBHOOK_ALLOW": "127.0.0.1", "STUDIO_WEBHOOK_RETRY_BASE": "0.2"}
pytestmark = pytest.mark.studio_env(ALLOW)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def submit(stack: Stack, webhook: dict | None, headers: dict[str, str] | None = None, workflow: str = "text_to_image", **params: object) -> dict:
    body = {"workflow": workflow, "params": {"prompt": "a red fox", **params}, **({"webhook": webhook} if webhook else {})}
    response = stack.http.post("/api/jobs", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def deliveries(stack: Stack, job: dict, headers: dict[str, str] | None = None) -> list[dict]:
    response = stack.http.get(f"/api/jobs/{job['id']}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def until(what: Callable[[], object], timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while not (found := what()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def ended(stack: Stack, job: dict, headers: dict[str, str] | None = None) -> dict:
    return until(lambda: (j := stack.http.get(f"/api/jobs/{job['id']}", headers=headers).json())["status"] in TERMINAL and j)


def test_a_jobs_end_is_posted_signed_so_standard_webhooks_and_the_readme_snippet_verify_it(
    stack: Stack, double: ComfyDouble, receiver: Receiver
) -> None:
    job = submit(stack, {"url": receiver.url("/done")}, seed=7)
    receiver.wait(lambda: len(receiver.to("/done")) == 1)
    hit = receiver.to("/done")[0]
    secret = stack.http.get("/api/webhooks/secret").json()["secret"]
    assert secret.startswith("whsec_")
    payload = standardwebhooks.Webhook(secret).verify(hit.body, hit.headers)
    assert verify(secret, hit.headers, hit.body)
    assert not verify(secret, hit.headers, hit.body.replace(b"finished", b"FINISHED")), "a changed body does not verify"
    assert hit.headers["content-type"] == "application/json" and hit.headers["user-agent"].startswith("Studio-Webhooks/")
    assert payload["type"] == "job.finished" and payload["data"]["id"] == job["id"] and payload["data"]["status"] == "finished"
    assert payload["timestamp"] == payload["data"]["finished_at"]
    output = payload["data"]["outputs"][0]["url"]
    assert output.startswith(f"{stack.url}/outputs/{job['id']}/"), "an absolute link"
    assert httpx.get(output).status_code == 200, "the receiver downloads it, no key needed"
    [delivery] = deliveries(stack, job)  # job.failed and job.cancelled were asked for too: moot once it finished
    assert delivery["id"] == hit.headers["webhook-id"] and delivery["event"] == "job.finished"
    assert (delivery["state"], delivery["attempts"], delivery["last_status"], delivery["last_error"]) == ("delivered", 1, 204, None)

    # A job ComfyUI refuses at once, and a job answered from the first one's outputs, are posted too.
    failed = submit(stack, {"url": receiver.url("/failed")}, workflow="broken")
    reused = submit(stack, {"url": receiver.url("/reused")}, seed=7)
    assert reused["reused_from"] == job["id"]
    receiver.wait(lambda: receiver.to("/failed") and receiver.to("/reused"))
    kinds = {path: json.loads(receiver.to(path)[0].body) for path in ("/failed", "/reused")}
    assert (kinds["/failed"]["type"], kinds["/failed"]["data"]["id"]) == ("job.failed", failed["id"])
    assert (kinds["/reused"]["type"], kinds["/reused"]["data"]["id"]) == ("job.finished", reused["id"])


def test_a_receiver_failing_three_times_gets_one_delivery_after_growing_waits(single_stack: Stack, receiver: Receiver) -> None:
    stack = single_stack
    receiver.script["/flaky"] = [Answer(500), Answer(302), Answer(503), Answer(200)]  # a redirect is not followed
    job = submit(stack, {"url": receiver.url("/flaky")})
    receiver.wait(lambda: len(receiver.to("/flaky")) == 4)
    [delivery] = until(lambda: [d for d in deliveries(stack, job) if d["state"] == "delivered"])
    assert (delivery["attempts"], delivery["last_status"], delivery["last_error"]) == (4, 200, None)
    hits = receiver.to("/flaky")
    assert {hit.headers["webhook-id"] for hit in hits} == {delivery["id"]}, "the same webhook-id on every attempt"
    assert len({hit.body for hit in hits}) == 1, "the same body on every attempt"
    gaps = [later.at - earlier.at for earlier, later in zip(hits, hits[1:])]
    # Each wait is half fixed, half random: from base/2 * 2^n up to base * 2^n (base 0.2 s here).
    assert all(gap >= 0.1 * 2**n for n, gap in enumerate(gaps)), gaps
    assert gaps[2] > gaps[0], gaps
    time.sleep(0.5)
    assert len(receiver.to("/flaky")) == 4, "nothing after the success"


@pytest.mark.studio_env({**ALLOW, "STUDIO_WEBHOOK_RETRY_BASE": "2"})
def test_a_restart_in_the_middle_of_retries_loses_no_delivery(single_stack: Stack, receiver: Receiver) -> None:
    stack = single_stack
    receiver.script["/later"] = [Answer(500)]
    job = submit(stack, {"url": receiver.url("/later")})
    receiver.wait(lambda: len(receiver.to("/later")) == 1)
    until(lambda: deliveries(stack, job)[0]["attempts"] == 1)  # the failure is stored
    stack.api.stop()
    stack.api.start()
    stack.wait_healthy()
    receiver.wait(lambda: len(receiver.to("/later")) == 2)
    first, second = receiver.to("/later")
    [delivery] = until(lambda: [d for d in deliveries(stack, job) if d["state"] == "delivered"])
    assert delivery["attempts"] == 2 and first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["id"]
    assert first.body == second.body


@pytest.mark.studio_env({**ALLOW, "STUDIO_WEBHOOK_RETRY_BASE": "2"})
def test_a_destination_refused_by_the_time_of_a_retry_is_a_failed_attempt_saying_so(single_stack: Stack, receiver: Receiver) -> None:
    stack = single_stack
    receiver.script["/moved"] = [Answer(500)]
    job = submit(stack, {"url": receiver.url("/moved")})
    until(lambda: deliveries(stack, job)[0]["attempts"] == 1)
    stack.api.stop()
    del stack.env["STUDIO_WEBHOOK_ALLOW"]  # as if the name now resolved to a private address
    stack.api.start()
    stack.wait_healthy()
    [delivery] = until(lambda: [d for d in deliveries(stack, job) if d["attempts"] == 2])
    assert (delivery["state"], delivery["last_status"]) == ("pending", None)
    assert delivery["last_error"] == (
        "Studio does not send webhooks to 127.0.0.1, a loopback address; an admin may allow it with STUDIO_WEBHOOK_ALLOW=127.0.0.1."
    )
    assert len(receiver.to("/moved")) == 1


def test_a_destination_on_this_machine_or_a_private_network_is_refused_at_submit(tmp_path: Path) -> None:
    refused = {
        "http://127.0.0.1:9/hook": "Studio does not send webhooks to 127.0.0.1, a loopback address; "
        "an admin may allow it with STUDIO_WEBHOOK_ALLOW=127.0.0.1.",
        "http://10.0.0.1/hook": "Studio does not send webhooks to 10.0.0.1, a private address; "
        "an admin may allow it with STUDIO_WEBHOOK_ALLOW=10.0.0.1.",
        "http://169.254.169.254/latest/meta-data": "Studio does not send webhooks to 169.254.169.254, a link-local address; "
        "an admin may allow it with STUDIO_WEBHOOK_ALLOW=169.254.169.254.",
        "http://localhost:8080/hook": "Studio does not send webhooks to localhost (127.0.0.1), a loopback address; "
        "an admin may allow it with STUDIO_WEBHOOK_ALLOW=localhost.",
    }
    with serve_studio(tmp_path) as studio:
        for url, sentence in refused.items():
            body = {"workflow": "text_to_image", "params": {"prompt": "a fox"}, "webhook": {"url": url}}
            answer = httpx.post(f"{studio.url}/api/jobs", json=body)
            assert answer.status_code == 400, answer.text
            assert answer.json()["errors"] == [{"field": "webhook.url", "message": sentence}]
        jobs = httpx.get(f"{studio.url}/api/jobs").json()["items"]
        assert jobs == [], "nothing stored"
        body = {"workflow": "text_to_image", "params": {"prompt": "a fox"}, "webhook": {"url": "http://no-such-host.invalid/hook"}}
        answer = httpx.post(f"{studio.url}/api/jobs", json=body)
        assert answer.status_code == 400 and answer.json()["errors"][0]["message"].startswith(
            "The host no-such-host.invalid does not resolve to an address"
        ), answer.text


def test_a_slow_receiver_delays_neither_jobs_nor_other_deliveries(single_stack: Stack, receiver: Receiver) -> None:
    stack = single_stack
    receiver.script["/slow"] = [Answer(204, delay=5)]
    slow = submit(stack, {"url": receiver.url("/slow")})
    receiver.wait(lambda: receiver.to("/slow"))
    hanging_since = receiver.to("/slow")[0].at
    [sending] = deliveries(stack, slow)
    replay = stack.http.post(f"/api/jobs/{slow['id']}/deliveries/{sending['id']}/replay")
    assert (replay.status_code, replay.json()["detail"]) == (
        409, f"Delivery {sending['id']} is still on its way; only a delivered or failed one can be replayed."
    )
    others = [submit(stack, {"url": receiver.url("/fast")}, seed=seed) for seed in range(3)]
    receiver.wait(lambda: len(receiver.to("/fast")) == 3)
    assert all(ended(stack, job)["status"] == "finished" for job in others)
    assert time.monotonic() - hanging_since < 4.5, "all of it while the slow receiver still hangs"


def test_the_start_is_posted_only_when_asked(single_stack: Stack, double: ComfyDouble, receiver: Receiver) -> None:
    stack = single_stack
    both = submit(stack, {"url": receiver.url("/both"), "events": ["job.processing", "job.finished"]})
    plain = submit(stack, {"url": receiver.url("/plain")}, seed=2)
    receiver.wait(lambda: len(receiver.to("/both")) == 2 and receiver.to("/plain"))
    assert [json.loads(hit.body)["type"] for hit in receiver.to("/both")] == ["job.processing", "job.finished"], "the start first"
    started = next(json.loads(hit.body) for hit in receiver.to("/both") if b'"job.processing"' in hit.body)
    assert started["timestamp"] == started["data"]["started_at"]
    assert [json.loads(hit.body)["type"] for hit in receiver.to("/plain")] == ["job.finished"]
    assert sorted(d["event"] for d in deliveries(stack, both)) == ["job.finished", "job.processing"]
    assert [d["event"] for d in deliveries(stack, plain)] == ["job.finished"]

    # A job cancelled while queued: its end was asked for, its start never happens.
    double.settings.step_seconds = 0.2
    for seed in (3, 4):  # the one running and the one its worker took next to keep ComfyUI busy
        stack.wait(submit(stack, None, seed=seed)["id"], {"processing"})
    queued = submit(stack, {"url": receiver.url("/cancelled"), "events": ["job.processing", "job.cancelled"]}, seed=5)
    assert stack.http.post(f"/api/jobs/{queued['id']}/cancel").json()["status"] == "cancelled"
    receiver.wait(lambda: receiver.to("/cancelled"))
    assert json.loads(receiver.to("/cancelled")[0].body)["type"] == "job.cancelled"
    assert [(d["event"], d["state"]) for d in deliveries(stack, queued)] == [("job.cancelled", "delivered")], "it never started"


def test_a_keys_default_webhook_and_secret_and_its_deliveries_are_its_own(stack: Stack, receiver: Receiver) -> None:
    def make(name: str, url: str | None) -> tuple[dict[str, str], str]:
        created = in_stack_database(stack, lambda: KeyService().create(KeyCreate(name=name, webhook_url=url), "test"))
        return {"Authorization": f"Bearer {created.key}"}, created.webhook_secret

    alice, alices_secret = make("alice", receiver.url("/alice"))
    bob, bobs_secret = make("bob", None)
    assert stack.http.get("/api/webhooks/secret", headers=alice).json() == {"secret": alices_secret}
    assert stack.http.get("/api/webhooks/secret", headers=bob).json() == {"secret": bobs_secret} != {"secret": alices_secret}

    job = submit(stack, None, headers=alice)
    assert job["webhook"] == {"url": receiver.url("/alice"), "events": ["job.finished", "job.failed", "job.cancelled"]}
    receiver.wait(lambda: receiver.to("/alice"))
    hit = receiver.to("/alice")[0]
    standardwebhooks.Webhook(alices_secret).verify(hit.body, hit.headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(bobs_secret).verify(hit.body, hit.headers)

    [delivery] = until(lambda: [d for d in deliveries(stack, job, alice) if d["state"] == "delivered"])
    replay = f"/api/jobs/{job['id']}/deliveries/{delivery['id']}/replay"
    for refused in (stack.http.get(f"/api/jobs/{job['id']}/deliveries", headers=bob), stack.http.post(replay, headers=bob)):
        assert (refused.status_code, refused.json()["detail"]) == (404, f"No job with id {job['id']}.")
    assert stack.http.post(f"/api/jobs/{job['id']}/deliveries/msg_nothing/replay", headers=alice).status_code == 404

    replayed = stack.http.post(replay, headers=alice)
    assert replayed.status_code == 200 and replayed.json()["state"] == "pending", replayed.text
    receiver.wait(lambda: len(receiver.to("/alice")) == 2)
    again = receiver.to("/alice")[1]
    assert again.headers["webhook-id"] == delivery["id"] and again.body == hit.body
    assert until(lambda: [d for d in deliveries(stack, job, alice) if d["state"] == "delivered" and d["attempts"] == 2])
    # bob's own job, with a webhook of his, is signed with his secret.
    submit(stack, {"url": receiver.url("/bob")}, headers=bob)
    receiver.wait(lambda: receiver.to("/bob"))
    standardwebhooks.Webhook(bobs_secret).verify(receiver.to("/bob")[0].body, receiver.to("/bob")[0].headers)


def test_studio_submit_webhook_and_the_client_librarys_delivery_methods(single_stack: Stack, receiver: Receiver) -> None:
    stack = single_stack
    done = cli_submit(stack.http, "text_to_image", "prompt=a heron", "--webhook", receiver.url("/cli"), "--wait")
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.splitlines()[0]
    receiver.wait(lambda: receiver.to("/cli"))
    until(lambda: stack.http.get(f"/api/jobs/{job_id}/deliveries").json()["items"][0]["state"] == "delivered")

    async def use_client() -> None:
        async with StudioClient(stack.url) as studio:
            [delivery] = (await studio.deliveries(job_id)).items
            assert (delivery.event, delivery.id, delivery.state) == ("job.finished", receiver.to("/cli")[0].headers["webhook-id"], "delivered")
            assert (await studio.replay(job_id, receiver.to("/cli")[0].headers["webhook-id"])).state == "pending"
            standardwebhooks.Webhook(await studio.webhook_secret()).verify(receiver.to("/cli")[0].body, receiver.to("/cli")[0].headers)

    asyncio.run(use_client())
    receiver.wait(lambda: len(receiver.to("/cli")) == 2)
