"""What simulated nodes compute: shapes, values, UI outputs, progress steps and run-time errors.

Only what clients can observe is simulated (image sizes and counts, text outputs, progress, files).
Nodes without a behaviour here get `generic`, which passes shapes through by output type.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

import msgspec
from PIL import UnidentifiedImageError

from .files import FileStore
from .images import ImageBatch, color_from_int, encode, pil_image, read_image, save_batch, temp_prefix
from .settings import DoubleSettings

# The four frames every node error starts with in 0.3.64 (captures 06/07).
_EXECUTE_FRAMES = [
    '  File "/tmp/comfyui/execution.py", line 496, in execute\n    <source line omitted>\n',
    '  File "/tmp/comfyui/execution.py", line 315, in get_output_data\n    <source line omitted>\n',
    '  File "/tmp/comfyui/execution.py", line 289, in _async_map_node_over_list\n    <source line omitted>\n',
    '  File "/tmp/comfyui/execution.py", line 277, in process_inputs\n    <source line omitted>\n',
]
_BLEND_FRAMES = [
    '  File "/tmp/comfyui/comfy_api/internal/__init__.py", line 149, in wrapped_func\n    <source line omitted>\n',
    '  File "/tmp/comfyui/comfy_api/latest/_io.py", line 1270, in EXECUTE_NORMALIZED\n    <source line omitted>\n',
    '  File "/tmp/comfyui/comfy_extras/nodes_post_processing.py", line 40, in execute\n    <source line omitted>\n',
]
_LOAD_IMAGE_FRAMES = [
    '  File "/tmp/comfyui/nodes.py", line 1647, in load_image\n    <source line omitted>\n',
    '  File "/tmp/comfyui/node_helpers.py", line 31, in pillow\n    <source line omitted>\n',
    '  File "/tmp/comfyvenv/lib/python3.11/site-packages/PIL/Image.py", line 3730, in open\n    <source line omitted>\n',
]
_FORCED_FRAMES = ['  File "comfyui_double", line 1, in forced_failure\n    <source line omitted>\n']


class NodeFailure(Exception):
    """A run-time node error, reported as execution_error."""

    def __init__(self, exception_type: str, message: str, frames: list[str]) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message
        self.traceback = _EXECUTE_FRAMES + frames


def forced_failure(settings: DoubleSettings) -> NodeFailure:
    return NodeFailure(settings.fail_exception_type, settings.fail_message, _FORCED_FRAMES)


class Sigmas(msgspec.Struct, frozen=True):
    steps: int


class Opaque(msgspec.Struct, frozen=True):
    """A value the double does not simulate (MODEL, CLIP, CONDITIONING, ...)."""

    type: str
    node_id: str

    def __str__(self) -> str:
        return f"<{self.type} from node {self.node_id}>"


class NodeResult(NamedTuple):
    outputs: tuple[Any, ...]
    ui: dict[str, Any] | None = None


class RunContext(Protocol):
    """What a node may do while it runs; implemented by the executor."""

    node_id: str
    settings: DoubleSettings
    files: FileStore
    prompt: dict[str, Any]
    extra_data: dict[str, Any]

    async def step(self, value: int, total: int, preview: tuple[str, bytes] | None) -> None:
        """Spend one progress step, then report `value/total` (and a preview image)."""

    def send_text(self, text: str) -> None:
        """Binary TEXT frame for this node, to every socket."""


Behaviour = Callable[[RunContext, dict[str, Any], list[Any]], Awaitable[NodeResult]]
BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(*class_types: str) -> Callable[[Behaviour], Behaviour]:
    def register(fn: Behaviour) -> Behaviour:
        for class_type in class_types:
            BEHAVIOURS[class_type] = fn
        return fn

    return register


# -- sources ------------------------------------------------------------------------------------
@behaviour("EmptyImage")
async def empty_image(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((ImageBatch(i["width"], i["height"], i["batch_size"], color_from_int(i["color"])),))


@behaviour("LoadImage", "LoadImageMask", "LoadImageOutput")
async def load_image(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    path = ctx.files.annotated_path(i["image"])
    try:
        image = read_image(path)
    except UnidentifiedImageError:
        raise NodeFailure("PIL.UnidentifiedImageError", f"cannot identify image file '{path}'", _LOAD_IMAGE_FRAMES)
    except OSError as ex:
        raise NodeFailure(type(ex).__name__, str(ex), _LOAD_IMAGE_FRAMES)
    mask = msgspec.structs.replace(image, kind="MASK")
    return NodeResult(tuple(image if t == "IMAGE" else mask for t in types))


@behaviour("PrimitiveString", "PrimitiveStringMultiline", "PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean")
async def primitive(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((i["value"],))


# -- image shape changes ------------------------------------------------------------------------
@behaviour("ImageScale")
async def image_scale(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    width, height = i["width"], i["height"]
    if width == 0 and height == 0:
        return NodeResult((image,))
    if width == 0:
        width = max(1, round(image.width * height / image.height))
    elif height == 0:
        height = max(1, round(image.height * width / image.width))
    return NodeResult((image.resized(width, height),))


@behaviour("ImageScaleBy")
async def image_scale_by(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    return NodeResult((image.resized(round(image.width * i["scale_by"]), round(image.height * i["scale_by"])),))


@behaviour("ImageScaleToTotalPixels")
async def image_scale_total(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    scale = math.sqrt(int(i["megapixels"] * 1024 * 1024) / (image.width * image.height))
    return NodeResult((image.resized(round(image.width * scale), round(image.height * scale)),))


@behaviour("ImageCrop")
async def image_crop(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    x, y = min(i["x"], image.width - 1), min(i["y"], image.height - 1)
    return NodeResult((image.resized(min(i["width"], image.width - x), min(i["height"], image.height - y)),))


@behaviour("ImageUpscaleWithModel")
async def upscale_with_model(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    # comfy.utils.get_tiled_scale_steps with ComfyUI's 512 px tiles and 32 px overlap.
    rows = 1 if image.height <= 512 else math.ceil((image.height - 32) / 480)
    cols = 1 if image.width <= 512 else math.ceil((image.width - 32) / 480)
    total = image.batch * rows * cols
    for value in range(1, total + 1):
        await ctx.step(value, total, None)
    scale = ctx.settings.upscale_model_scale
    return NodeResult((image.resized(image.width * scale, image.height * scale),))


@behaviour("ImageStitch")
async def image_stitch(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    a, b = i["image1"], i.get("image2")
    if not isinstance(b, ImageBatch):
        return NodeResult((a,))
    horizontal = i.get("direction", "right") in ("right", "left")
    if i.get("match_image_size", True):  # image2 scaled to image1's height (or width), keeping its aspect
        if horizontal:
            b = b.resized(round(b.width * a.height / b.height), a.height)
        else:
            b = b.resized(a.width, round(b.height * a.width / b.width))
    spacing = i.get("spacing_width", 0)
    if horizontal:
        width, height = a.width + b.width + spacing, max(a.height, b.height)
    else:
        width, height = max(a.width, b.width), a.height + b.height + spacing
    return NodeResult((msgspec.structs.replace(a, width=width, height=height, batch=max(a.batch, b.batch)),))


@behaviour("ImageBatch")
async def image_batch(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    a, b = i["image1"], i["image2"]
    return NodeResult((msgspec.structs.replace(a, batch=a.batch + b.batch),))


@behaviour("RepeatImageBatch")
async def repeat_batch(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((msgspec.structs.replace(i["image"], batch=i["image"].batch * i["amount"]),))


@behaviour("ImageInvert")
async def image_invert(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    return NodeResult((msgspec.structs.replace(image, color=tuple(255 - c for c in image.color)),))


@behaviour("ImageBlend")
async def image_blend(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    a, b = i["image1"], i["image2"]
    # image2 is resized to image1; batches must broadcast (capture 06: 2 vs 3 fails).
    if a.batch != b.batch and 1 not in (a.batch, b.batch):
        message = (
            f"The size of tensor a ({a.batch}) must match the size of tensor b ({b.batch}) at non-singleton dimension 0"
        )
        raise NodeFailure("RuntimeError", message, _BLEND_FRAMES)
    return NodeResult((msgspec.structs.replace(a, batch=max(a.batch, b.batch)),))


@behaviour("GetImageSize")
async def get_image_size(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["image"]
    ctx.send_text(f"width: {image.width}, height: {image.height}\n batch size: {image.batch}")
    return NodeResult((image.width, image.height, image.batch))


# -- latents and sampling -----------------------------------------------------------------------
@behaviour("VAEDecode", "VAEDecodeTiled")
async def vae_decode(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((msgspec.structs.replace(i["samples"], kind="IMAGE"),))


@behaviour("VAEEncode", "VAEEncodeTiled")
async def vae_encode(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    pixels: ImageBatch = i["pixels"]
    # The VAE crops to a multiple of 8 pixels.
    latent = pixels.resized(pixels.width // 8 * 8, pixels.height // 8 * 8)
    return NodeResult((msgspec.structs.replace(latent, kind="LATENT"),))


@behaviour("RepeatLatentBatch")
async def repeat_latent(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((msgspec.structs.replace(i["samples"], batch=i["samples"].batch * i["amount"]),))


@behaviour("LatentUpscale")
async def latent_upscale(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    latent: ImageBatch = i["samples"]
    width, height = i["width"], i["height"]
    if width == 0 and height == 0:
        return NodeResult((latent,))
    if width == 0:
        width = round(latent.width * height / latent.height / 8) * 8
    elif height == 0:
        height = round(latent.height * width / latent.width / 8) * 8
    return NodeResult((latent.resized(width, height),))


@behaviour("LatentUpscaleBy")
async def latent_upscale_by(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    latent: ImageBatch = i["samples"]
    scale = i["scale_by"]
    return NodeResult((latent.resized(round(latent.width / 8 * scale) * 8, round(latent.height / 8 * scale) * 8),))


async def _sample(ctx: RunContext, latent: ImageBatch, steps: int, seed: Any) -> ImageBatch:
    # k-diffusion callback: progress 1..steps of steps; a JPEG latent preview if previews are on.
    preview = None
    if ctx.settings.preview_method != "none":
        small = latent.resized(max(1, latent.width // 8), max(1, latent.height // 8))
        preview = ("JPEG", encode(pil_image(small), "JPEG", max_size=512, quality=95))
    for value in range(1, steps + 1):
        await ctx.step(value, steps, preview)
    # A seed-dependent colour, so different seeds give visibly different images.
    return msgspec.structs.replace(latent, color=color_from_int(zlib.crc32(str(seed).encode()) & 0xFFFFFF))


@behaviour("KSampler")
async def ksampler(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    return NodeResult((await _sample(ctx, i["latent_image"], i["steps"], i["seed"]),))


@behaviour("KSamplerAdvanced")
async def ksampler_advanced(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    steps = max(0, min(i["end_at_step"], i["steps"]) - i["start_at_step"])
    return NodeResult((await _sample(ctx, i["latent_image"], steps, i["noise_seed"]),))


@behaviour("SamplerCustom", "SamplerCustomAdvanced")
async def sampler_custom(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    sigmas = i["sigmas"]
    steps = sigmas.steps if isinstance(sigmas, Sigmas) else 20
    latent = await _sample(ctx, i["latent_image"], steps, i.get("noise_seed", i.get("noise")))
    return NodeResult((latent, latent))


# -- text -----------------------------------------------------------------------------------------
@behaviour("RegexExtract")
async def regex_extract(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    flags = (
        (re.IGNORECASE if i["case_insensitive"] else 0)
        | (re.MULTILINE if i["multiline"] else 0)
        | (re.DOTALL if i["dotall"] else 0)
    )
    pattern, string, mode, group = i["regex_pattern"], i["string"], i["mode"], i["group_index"]
    try:
        if mode == "First Match":
            match = re.search(pattern, string, flags)
            result = match.group(0) if match else ""
        elif mode == "All Matches":
            matches = re.findall(pattern, string, flags)
            result = "\n".join(m[0] if isinstance(m, tuple) else m for m in matches)
        elif mode == "First Group":
            match = re.search(pattern, string, flags)
            result = match.group(group) if match and len(match.groups()) >= group else ""
        elif mode == "All Groups":
            found = [m.group(group) for m in re.finditer(pattern, string, flags) if len(m.groups()) >= group]
            result = "\n".join(found)
        else:
            result = ""
    except re.error:
        result = ""  # the real node swallows bad patterns (capture 15)
    return NodeResult((result,))


@behaviour("PreviewAny")
async def preview_any(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    source = i.get("source")
    if isinstance(source, str):
        value = source
    elif isinstance(source, (int, float, bool)):
        value = str(source)
    elif source is None:
        value = "None"
    else:
        try:
            value = json.dumps(source)
        except TypeError:
            value = str(source)
    return NodeResult((), {"text": [value]})


# -- image outputs --------------------------------------------------------------------------------
def _pnginfo(ctx: RunContext) -> dict[str, Any]:
    # SaveImage embeds the prompt and extra_pnginfo as PNG text chunks.
    return {"prompt": ctx.prompt, **ctx.extra_data.get("extra_pnginfo", {})}


@behaviour("SaveImage")
async def save_image(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    out = str(ctx.files.output_dir)
    images = save_batch(i["images"], out, i["filename_prefix"], "output", 4, _pnginfo(ctx))
    return NodeResult((), {"images": images})


@behaviour("PreviewImage")
async def preview_image(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    images = save_batch(i["images"], str(ctx.files.temp_dir), temp_prefix(), "temp", 1, _pnginfo(ctx))
    return NodeResult((), {"images": images})


@behaviour("SaveImageWebsocket")
async def save_image_websocket(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    image: ImageBatch = i["images"]
    data = encode(pil_image(image), "PNG", compress_level=1)
    # Progress 0..n-1 of n, never n (tests/data/comfyui/README.md, "Pitfalls seen" 11); one PNG
    # frame per image.
    for value in range(image.batch):
        await ctx.step(value, image.batch, ("PNG", data))
    return NodeResult((), {})


# -- everything else ------------------------------------------------------------------------------
async def generic(ctx: RunContext, i: dict[str, Any], types: list[Any]) -> NodeResult:
    """Unknown node: each output copies the first input of its type, or is made up from widgets."""
    shaped = [v for v in i.values() if isinstance(v, ImageBatch)]
    outputs: list[Any] = []
    for t in types:
        same = [v for v in i.values() if _type_of(v) == t]
        if same:
            outputs.append(same[0])
        elif t in ("IMAGE", "LATENT", "MASK"):
            if shaped:
                outputs.append(msgspec.structs.replace(shaped[0], kind=t))
            else:
                size = (i.get("width", 512), i.get("height", 512), i.get("batch_size", 1))
                ok = all(isinstance(n, int) and not isinstance(n, bool) for n in size)
                outputs.append(ImageBatch(*size, kind=t) if ok else ImageBatch(512, 512, 1, kind=t))
        elif t == "SIGMAS":
            outputs.append(Sigmas(i["steps"] if isinstance(i.get("steps"), int) else 20))
        else:
            outputs.append({"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}.get(t, Opaque(str(t), ctx.node_id)))
    return NodeResult(tuple(outputs))


def _type_of(value: Any) -> str | None:
    if isinstance(value, ImageBatch):
        return value.kind
    if isinstance(value, Sigmas):
        return "SIGMAS"
    if isinstance(value, Opaque):
        return value.type
    return {bool: "BOOLEAN", int: "INT", float: "FLOAT", str: "STRING"}.get(type(value))


def behaviour_for(class_type: str) -> Behaviour:
    return BEHAVIOURS.get(class_type, generic)
