"""What uploads cost a real `studio serve`: memory while decoding, and the answer to a body over the
limit whichever way it is sent."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.common.paths import REPO
from tests.net import free_port, wait_until_healthy

MAX_BYTES = 1_000_000
TOO_LARGE = f"The upload is larger than the {MAX_BYTES} byte limit (STUDIO_UPLOAD_MAX_BYTES)."


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def memory_kb(self, field: str) -> int:
        """VmRSS (resident now) or VmHWM (the peak since the last reset) of the server, in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith(f"{field}:")))

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS

    def upload(self, data: bytes, filename: str) -> httpx.Response:
        return httpx.post(f"{self.url}/api/uploads", files={"file": (filename, data)}, timeout=120)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("uploads")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env["STUDIO_UPLOAD_MAX_BYTES"] = str(MAX_BYTES)
    command = [sys.executable, "-m", "studio", "serve", "--port", str(port), "--data-dir", str(folder / "data")]
    command += ["--comfy-url", f"http://127.0.0.1:{free_port()}"]  # nobody listens: no ComfyUI needed
    with (folder / "studio.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    if not wait_until_healthy(url):
        process.kill()
        pytest.fail(f"studio serve did not answer: {(folder / 'studio.log').read_text()}")
    yield Served(process, url)
    process.terminate()
    process.wait(timeout=10)


def encoded(size: tuple[int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 30, 200)).save(out, format=fmt)
    return out.getvalue()


# 38.5 megapixels, just under the default STUDIO_UPLOAD_MAX_PIXELS: ~150 MB to decode in full, from
# small files (PNG and JPEG of one colour). A JPEG four times the final size decodes at 1/4 scale.
LARGE = (8200, 4700)


class Warm:
    """The server once every code path has run: its resident memory then is the base the peaks of
    the tests are measured from (memory freed after a decode may stay resident, so the peak above
    that base is what the decodes running at one time needed)."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.base = served.memory_kb("VmRSS")

    def peak_kb(self, *uploads: tuple[bytes, str]) -> int:
        self.served.reset_peak()
        answers: list[httpx.Response] = []
        threads = [threading.Thread(target=lambda u=u: answers.append(self.served.upload(*u))) for u in uploads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [(r.status_code, r.json()["downscaled"]) for r in answers] == [(201, True)] * len(uploads)
        return self.served.memory_kb("VmHWM") - self.base


@pytest.fixture(scope="module")
def warm(served: Served) -> Warm:
    # The first upload of each format loads code (Pillow plugins, the form parser): not what is measured.
    for fmt, name in (("PNG", "w.png"), ("JPEG", "w.jpg")):
        assert served.upload(encoded((64, 64), fmt), name).status_code == 201
    return Warm(served)


def test_a_large_jpeg_is_decoded_at_reduced_scale(warm: Warm) -> None:
    jpeg = warm.peak_kb((encoded(LARGE, "JPEG"), "big.jpg"))
    png = warm.peak_kb((encoded(LARGE, "PNG"), "big.png"))
    assert jpeg < png / 4, f"a JPEG decoded at reduced scale costs a fraction of a full decode: {jpeg} kB vs {png} kB"


def test_six_uploads_at_once_are_decoded_two_at_a_time(warm: Warm) -> None:
    png = (encoded(LARGE, "PNG"), "big.png")
    one = warm.peak_kb(png)
    six = warm.peak_kb(*[png] * 6)
    assert six < 3 * one, f"six uploads at once decode two at a time: peak {six} kB, one alone {one} kB"


def chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 65536):
        yield data[start : start + 65536]


@pytest.mark.parametrize("size", [MAX_BYTES + 10, 3 * MAX_BYTES, 30 * MAX_BYTES], ids=["just over", "3x", "30x"])
def test_an_oversized_upload_gets_one_sentence_whether_chunked_or_not(served: Served, size: int) -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        + b"\x89PNG"
        + bytes(size)
        + b"\r\n--b--\r\n"
    )
    headers = {"content-type": "multipart/form-data; boundary=b"}
    url = f"{served.url}/api/uploads"
    with_length = httpx.post(url, content=form, headers=headers, timeout=60)
    chunked = httpx.post(url, content=chunks(form), headers=headers, timeout=60)
    assert "transfer-encoding" not in with_length.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    for response in (with_length, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["detail"] == TOO_LARGE
