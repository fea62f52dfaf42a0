"""Redis dies and comes back empty (it keeps nothing on disk): no job is lost, events flow again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from server.events.schemas import (
    JobFinished,
    JobSnapshot,
    QueueSnapshot,
    message_decoder,
)
from tests.comfyui_double.double import ComfyDouble
from tests.common.stacks import running_stack
from tests.integration.worker.stack import PRODUCTION_TIMINGS, Stack
from tests.integration.worker.test_cancel import SLOW, slow, wait_until
from tests.net import PrivateRedis


@pytest.fixture
def stack_on_private_redis(
    request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path, private_redis: PrivateRedis
) -> Iterator[Stack]:
    with running_stack(request, "scaled", tmp_path, double.url, redis_url=private_redis.url) as studio:
        yield studio


def test_redis_restarting_loses_no_job_and_clients_start_over(
    stack_on_private_redis: Stack, private_redis: PrivateRedis, double: ComfyDouble
) -> None:
    stack = stack_on_private_redis
    assert stack.wait(stack.submit(seed=1)["id"])["status"] == "finished"
    with connect(f"ws://127.0.0.1:{stack.port}/ws/events", open_timeout=10) as listening:
        assert isinstance(message_decoder.decode(listening.recv(timeout=10)), QueueSnapshot)

        private_redis.kill()
        health = stack.http.get("/health")
        assert health.status_code == 503 and health.json()["redis"] == "unhealthy"
        job = stack.submit(seed=2)  # accepted: the row is the truth, the message is sent again later
        assert job["status"] == "queued"
        private_redis.start()  # back, and empty

        # Events may have been missed meanwhile: the client is told to start over.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                listening.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        assert "reconnect for a fresh snapshot" in closed.value.rcvd.reason

    done = stack.wait(job["id"], timeout=60)
    assert done["status"] == "finished" and done["attempts"] == 1, done["error"]

    # Events flow again, through the API host's new subscription.
    double.settings.step_seconds = 0.1  # 20 steps: time to connect before it ends
    another = stack.submit(seed=3)
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{another['id']}", open_timeout=10) as socket:
        snapshot = message_decoder.decode(socket.recv(timeout=10))
        assert isinstance(snapshot, JobSnapshot) and snapshot.job.status in ("queued", "processing")
        while not isinstance(message := message_decoder.decode(socket.recv(timeout=30)), JobFinished):
            pass
    assert message.job.outputs


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_jobs_whose_messages_redis_lost_run_within_seconds(
    stack_on_private_redis: Stack, private_redis: PrivateRedis, double: ComfyDouble
) -> None:
    stack = stack_on_private_redis
    slow(double)
    jobs = [stack.submit(**SLOW, seed=i)["id"] for i in range(6)]
    wait_until(lambda: sum(stack.job(j)["status"] == "processing" for j in jobs) == 2)  # 4 wait in Redis
    private_redis.kill()
    private_redis.start()  # back, and empty: the messages of the 4 queued jobs are gone
    back = time.monotonic()
    double.settings.step_seconds = 0.001
    took = stack.wait_claimed(jobs, since=back)
    assert took < 25, f"the last job was claimed {took:.0f} s after Redis came back"
    assert all(stack.wait(j)["status"] == "finished" for j in jobs)
