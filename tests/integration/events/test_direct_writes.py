"""Events written straight to the sockets of clients that keep up (server/events/routes.py _write_now),
queued for those that do not, against a real `studio serve` (uvicorn with Studio's WebSocket protocol)."""

from __future__ import annotations

import socket
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from server.events.schemas import JobCreated, JobFailed, Message, QueueSnapshot, message_decoder
from tests.integration.events.scaled import Api, publisher, receive


class RawClient:
    """A /ws/events client on a plain socket with small buffers, reading as slowly as it is told:
    Studio has to hold its events back while the socket is full."""

    def __init__(self, port: int, *, pause: float = 0.0) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(10)
        self.pause = pause
        self.protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/ws/events"))
        self.protocol.send_request(self.protocol.connect())
        self.pending: deque[Message] = deque()
        self._flush()

    def receive(self) -> Message:
        while not self.pending:
            time.sleep(self.pause)
            if data := self.sock.recv(4096):
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            for event in self.protocol.events_received():
                if isinstance(event, Response):
                    assert event.status_code == 101, event
                elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self.pending.append(message_decoder.decode(event.data))
                elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    raise AssertionError(f"closed by Studio: {self.protocol.close_rcvd}")
            self._flush()  # pongs
        return self.pending.popleft()

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def close(self) -> None:
        self.sock.close()


def failures(next_message, count: int) -> list[uuid.UUID]:
    """The job ids of the next `count` burst failures, in the order received (totals skipped)."""
    received = []
    while len(received) < count:
        message = next_message()
        if isinstance(message, JobFailed) and message.workflow == "burst":
            received.append(message.job_id)
    return received


def test_a_slow_client_gets_every_event_in_publish_order_while_another_reads_on(api: Api, env: dict[str, str]) -> None:
    # 12 MB, read 4 KB a millisecond: the slow client's socket fills up again and again, so its
    # events go from written directly to queued and back while the burst goes on; the other
    # client is written to directly all along and is not held back.
    count, size = 600, 20_000
    slow = RawClient(api.port, pause=0.001)
    try:
        assert isinstance(slow.receive(), QueueSnapshot)
        with api.socket("/ws/events") as reader, ThreadPoolExecutor(1) as pool:
            assert isinstance(receive(reader), QueueSnapshot)
            burst = publisher(env, "burst", str(count), str(size))
            slowly = pool.submit(failures, slow.receive, count)
            order = failures(lambda: receive(reader), count)
            assert not slowly.done(), "the slow client kept up: this test shows nothing"
            output = burst.communicate(timeout=30)[0]
            assert burst.returncode == 0, output
            # Failures are never dropped, and what was written directly and what was queued
            # arrive in one order: the order of publication, as the reader saw it.
            assert slowly.result(timeout=60) == order
        assert len(set(order)) == count
    finally:
        slow.sock.close()


def test_a_client_offering_permessage_deflate_gets_plain_readable_events(api: Api) -> None:
    # websockets' client offers permessage-deflate, as browsers do; Studio declines it: one
    # frame, built once, goes to every subscriber.
    with api.socket("/ws/events") as events:
        assert events.request is not None and "permessage-deflate" in events.request.headers["Sec-WebSocket-Extensions"]
        assert events.response is not None and "Sec-WebSocket-Extensions" not in events.response.headers
        assert isinstance(receive(events), QueueSnapshot)
        job = api.submit()
        message = receive(events)
        while not (isinstance(message, JobCreated) and str(message.job_id) == job["id"]):
            message = receive(events)  # the totals, or another test's events on the shared Redis
        assert message.job.prompt == "a red fox"
