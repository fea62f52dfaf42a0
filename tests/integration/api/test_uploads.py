"""POST /api/uploads: real images only, downscaled past the limit, usable as image parameters."""

from __future__ import annotations

import io
import os
import random

import msgspec
import pytest
from litestar.testing import TestClient
from PIL import Image

from server.app import create_app
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


def test_transparency_is_kept(client: TestClient, settings: Settings) -> None:
    for fmt, content_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        info = upload(client, image_bytes((64, 64), fmt, "RGBA"), f"a.{fmt.lower()}").json()
        assert info["content_type"] == content_type
        assert Image.open(settings.data_path / "uploads" / info["name"]).mode == "RGBA"


def noise(size: tuple[int, int], fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3)).save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("lossless", [False, True], ids=["lossy", "lossless"])
def test_webp_is_stored_as_webp_at_about_its_size(client: TestClient, settings: Settings, lossless: bool) -> None:
    # As PNG a photo-like WebP grew 18x (699 KB -> 12.5 MB).
    sent = noise((400, 300), "WEBP", lossless=lossless, quality=90)
    info = upload(client, sent, "photo.webp").json()
    assert (info["content_type"], info["name"][-5:]) == ("image/webp", ".webp")
    stored = settings.data_path / "uploads" / info["name"]
    assert Image.open(stored).format == "WEBP"
    assert stored.stat().st_size < 1.5 * len(sent), (stored.stat().st_size, len(sent))
    if lossless:
        assert Image.open(stored).tobytes() == Image.open(io.BytesIO(sent)).tobytes(), "lossless stays lossless"


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


def pixels_png(size: tuple[int, int]) -> bytes:
    # One colour: a small file (the was 346 KB) that takes hundreds of MB to decode.
    out = io.BytesIO()
    Image.new("1", size).save(out, format="PNG")
    return out.getvalue()


def test_too_many_pixels_are_refused_before_decoding(client: TestClient, settings: Settings) -> None:
    response = upload(client, pixels_png((9000, 9900)))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "file",
            "message": "the image is 9000x9900 = 89,100,000 pixels; the limit is 40,000,000 (STUDIO_UPLOAD_MAX_PIXELS)",
        }
    ]
    beyond_pillow = upload(client, pixels_png((10_000, 9_000)))
    assert beyond_pillow.status_code == 400 and "STUDIO_UPLOAD_MAX_PIXELS" in beyond_pillow.json()["detail"]
    assert upload(client, pixels_png((6000, 6000))).status_code == 201, "36 megapixels are within the default"
    assert not any(name.endswith(".part") for name in os.listdir(settings.data_path / "uploads"))


def test_the_pixel_limit_is_a_setting(settings: Settings) -> None:
    with TestClient(create_app(msgspec.structs.replace(settings, upload_max_pixels=100 * 100))) as small:
        assert upload(small, image_bytes((100, 100))).status_code == 201
        refused = upload(small, image_bytes((101, 100)))
        assert refused.status_code == 400 and "= 10,100 pixels; the limit is 10,000" in refused.json()["detail"]
