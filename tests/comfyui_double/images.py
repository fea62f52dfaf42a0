"""Image values flowing between nodes, and the PNG files/previews made from them (Pillow)."""

from __future__ import annotations

import io
import json
import os
import random
import time
from typing import Any

import msgspec
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo


class ImageBatch(msgspec.Struct, frozen=True):
    """An IMAGE, LATENT or MASK tensor: only its kind, pixel size, batch and a flat colour are simulated."""

    width: int
    height: int
    batch: int
    color: tuple[int, int, int] = (128, 128, 128)
    kind: str = "IMAGE"

    def resized(self, width: int, height: int) -> ImageBatch:
        return msgspec.structs.replace(self, width=max(1, width), height=max(1, height))

    def __str__(self) -> str:
        # Shown in execution_error current_inputs, where ComfyUI prints the torch tensor.
        return f"tensor({self.kind} shape=[{self.batch}, {self.height}, {self.width}, 3], fill={list(self.color)})"


def color_from_int(value: int) -> tuple[int, int, int]:
    # EmptyImage's `color` widget is 0xRRGGBB.
    return ((value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)


def pil_image(image: ImageBatch) -> Image.Image:
    return Image.new("RGB", (image.width, image.height), image.color)


def encode(img: Image.Image, fmt: str, max_size: int | None = None, **params: Any) -> bytes:
    if max_size is not None:
        img = ImageOps.contain(img, (max_size, max_size), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def read_image(path: str) -> ImageBatch:
    """LoadImage: real size and mean colour; raises PIL.UnidentifiedImageError for non-images."""
    with Image.open(path) as img:
        mean = img.convert("RGB").resize((1, 1)).getpixel((0, 0))
        return ImageBatch(img.width, img.height, 1, tuple(mean))  # type: ignore[arg-type]


def next_counter(folder: str, filename: str) -> int:
    """ComfyUI's get_save_image_path counter: 1 + highest `<filename>_NNNNN_*` already in the folder."""
    best = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 1
    for name in names:
        prefix = name[: len(filename) + 1]
        if os.path.normcase(prefix[:-1]) != os.path.normcase(filename) or prefix[-1:] != "_":
            continue
        try:
            best = max(best, int(name[len(filename) + 1 :].split("_")[0]))
        except ValueError:
            continue
    return best + 1


def expand_prefix(prefix: str, image: ImageBatch) -> str:
    # get_save_image_path's compute_vars (%width%, %height%, %year% ... %second%).
    now = time.localtime()
    values = {
        "width": image.width,
        "height": image.height,
        "year": now.tm_year,
        "month": f"{now.tm_mon:02}",
        "day": f"{now.tm_mday:02}",
        "hour": f"{now.tm_hour:02}",
        "minute": f"{now.tm_min:02}",
        "second": f"{now.tm_sec:02}",
    }
    for key, value in values.items():
        prefix = prefix.replace(f"%{key}%", str(value))
    return prefix


def temp_prefix() -> str:
    # PreviewImage appends "_temp_" + 5 letters from this (sic) alphabet to "ComfyUI".
    return "ComfyUI_temp_" + "".join(random.choice("abcdefghijklmnopqrstupvxyz") for _ in range(5))


def save_batch(
    image: ImageBatch,
    base_dir: str,
    filename_prefix: str,
    type_: str,
    compress_level: int,
    pnginfo: dict[str, Any],
) -> list[dict[str, str]]:
    """SaveImage/PreviewImage: one PNG per batch item named `<prefix>_00001_.png`, counting up."""
    if "%" in filename_prefix:
        filename_prefix = expand_prefix(filename_prefix, image)
    subfolder = os.path.dirname(os.path.normpath(filename_prefix))
    filename = os.path.basename(os.path.normpath(filename_prefix))
    folder = os.path.join(base_dir, subfolder)
    if os.path.commonpath((base_dir, os.path.abspath(folder))) != base_dir:
        raise Exception(
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {os.path.abspath(folder)}\n         output_dir: {base_dir}"
        )
    counter = next_counter(folder, filename)
    os.makedirs(folder, exist_ok=True)
    info = PngInfo()
    for key, value in pnginfo.items():
        info.add_text(key, json.dumps(value))
    # Every item of a simulated batch is identical: encode once, write N times.
    data = encode(pil_image(image), "PNG", pnginfo=info, compress_level=compress_level)
    results = []
    for batch_number in range(image.batch):
        name = f"{filename.replace('%batch_num%', str(batch_number))}_{counter:05}_.png"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        results.append({"filename": name, "subfolder": subfolder, "type": type_})
        counter += 1
    return results
