"""POST /api/uploads: real images only, downscaled past the limit, usable as image parameters."""

from __future__ import annotations

import io

from litestar.testing import TestClient
from PIL import Image

from server.config import Settings


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 128)).save(out, format=fmt)
    return out.getvalue()


def upload(client: TestClient, data: bytes, filename: str = "photo.png", field: str = "file"):
    return client.post("/api/uploads", files={field: (filename, data, "application/octet-stream")})


def test_upload_is_stored_and_usable_in_a_job(client: TestClient, settings: Settings) -> None:
    response = upload(client, image_bytes((320, 200)))
    assert response.status_code == 201, response.text
    info = response.json()
    assert (info["width"], info["height"], info["downscaled"]) == (320, 200, False)
    assert info["original_name"] == "photo.png" and info["name"].endswith(".png")
    stored = settings.data_path / "uploads" / info["name"]
    assert Image.open(stored).size == (320, 200)
    job = client.post("/api/jobs", json={"workflow": "image_edit", "params": {"prompt": "x", "image": info["name"]}})
    assert job.status_code == 202, job.text
    assert job.json()["params"]["image"] == info["name"]


def test_large_image_is_downscaled_keeping_aspect(client: TestClient) -> None:
    info = upload(client, image_bytes((2048, 1024), "JPEG"), "big.jpg").json()
    assert (info["width"], info["height"], info["downscaled"]) == (512, 256, True)
    assert info["content_type"] == "image/jpeg"


def test_transparency_is_kept_as_png(client: TestClient) -> None:
    info = upload(client, image_bytes((64, 64), "WEBP", "RGBA"), "a.webp").json()
    assert info["content_type"] == "image/png"


def test_file_name_tricks_never_reach_the_disk(client: TestClient, settings: Settings) -> None:
    info = upload(client, image_bytes((16, 16)), "../../../etc/passwd.png").json()
    assert "/" not in info["name"] and ".." not in info["name"]
    assert (settings.data_path / "uploads" / info["name"]).is_file()


def test_refusals(client: TestClient, settings: Settings) -> None:
    cases = [
        (b"this is not an image at all", "not a readable"),
        (image_bytes((32, 32))[:60], "not a readable"),
        (image_bytes((32, 32), "GIF"), "GIF images are not accepted"),
    ]
    for data, words in cases:
        response = upload(client, data)
        assert response.status_code == 400, words
        assert response.json()["errors"][0]["field"] == "file"
        assert words in response.json()["detail"]
    wrong_field = upload(client, image_bytes((8, 8)), field="picture")
    assert wrong_field.status_code == 400 and "named 'file'" in wrong_field.json()["detail"]
    assert list((settings.data_path / "uploads").glob("*")) == [], "refused uploads leave no file"


def test_oversized_upload_is_413(client: TestClient, settings: Settings) -> None:
    too_big = b"\x89PNG" + bytes(settings.upload_max_bytes + 10)
    response = upload(client, too_big)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_decompression_bomb_is_refused(client: TestClient) -> None:
    # 90 megapixels of one colour: a small file that would take gigabytes to decode.
    out = io.BytesIO()
    Image.new("1", (10_000, 9_000)).save(out, format="PNG")
    response = upload(client, out.getvalue())
    assert response.status_code == 400
    assert "too many pixels" in response.json()["detail"]
