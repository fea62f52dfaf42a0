"""HTTP routes and the WebSocket endpoint (Litestar). Every route is also served under /api.

Bodies are encoded with json.dumps (aiohttp's separators) and the status codes, empty bodies and
500 text of the recordings are reproduced, e.g. POST /queue always answers 200 with no body.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
import uuid
from io import BytesIO
from typing import Any

from litestar import Litestar, Request, Response, WebSocket, get, post, websocket
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException, WebSocketDisconnect
from PIL import Image

from .hub import Connection
from .settings import MODEL_FOLDERS
from .state import InterruptRequest, ReceivedPrompt, ServerState

SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")
SERVER_FEATURES = {"supports_preview_metadata": True, "max_upload_size": 104857600}
# How often a held GET /view looks whether it may answer (settings.hold_views).
VIEW_HOLD_POLL_SECONDS = 0.02
# GET /system_stats of the recording server (capture 13).
SYSTEM_STATS = {
    "system": {
        "os": "posix",
        "ram_total": 25276063744,
        "ram_free": 23163371520,
        "comfyui_version": "0.3.64",
        "required_frontend_version": "1.27.10",
        "installed_templates_version": "0.1.95",
        "required_templates_version": "0.1.95",
        "python_version": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]",
        "pytorch_version": "2.14.1+cu130",
        "embedded_python": False,
        "argv": ["main.py", "--cpu", "--listen", "127.0.0.1", "--port", "8188"],
    },
    "devices": [
        {
            "name": "cpu",
            "type": "cpu",
            "index": None,
            "vram_total": 25276063744,
            "vram_free": 23163412480,
            "torch_vram_total": 25276063744,
            "torch_vram_free": 23163412480,
        }
    ],
}


def json_response(data: Any, status: int = 200) -> Response[bytes]:
    return Response(json.dumps(data).encode(), status_code=status, media_type="application/json; charset=utf-8")


def empty(status: int = 200) -> Response[bytes]:
    return Response(b"", status_code=status, media_type="application/octet-stream")


def server_error() -> Response[bytes]:
    # aiohttp's answer to an unhandled exception (e.g. a non-JSON body), capture 05.
    text = b"500 Internal Server Error\n\nServer got itself in trouble"
    return Response(text, status_code=500, media_type="text/plain")  # Litestar adds "; charset=utf-8"


def st(request: Request[Any, Any, Any] | WebSocket[Any, Any, Any]) -> ServerState:
    return request.app.state.double


async def read_json(request: Request[Any, Any, Any]) -> Any:
    return json.loads(await request.body())


# -- prompts and queue ------------------------------------------------------------------------------
@post(["/prompt", "/api/prompt"], status_code=200)
async def post_prompt(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = st(request)
    try:
        body = await read_json(request)
    except ValueError:
        state.observations.prompts.append(ReceivedPrompt(None, 500))
        return server_error()
    try:
        response, status = queue_prompt(state, body)
    except Exception:
        state.observations.prompts.append(ReceivedPrompt(body, 500))
        return server_error()
    state.observations.prompts.append(ReceivedPrompt(body, status, response.get("prompt_id"), response.get("number")))
    return json_response(response, status)


def queue_prompt(state: ServerState, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """server.py post_prompt. The counter moves even for invalid prompts (capture 05)."""
    if "number" in body:
        number: float = float(body["number"])
    else:
        number = -state.number if body.get("front") else state.number
        state.number += 1
    if "prompt" not in body:
        error = {
            "type": "no_prompt",
            "message": "No prompt provided",
            "details": "No prompt provided",
            "extra_info": {},
        }
        return {"error": error, "node_errors": {}}, 400
    prompt = body["prompt"]
    prompt_id = str(body.get("prompt_id", uuid.uuid4()))
    result = state.validator.validate_prompt(prompt, body.get("partial_execution_targets"))
    extra_data = body.get("extra_data", {})
    if "client_id" in body:
        extra_data["client_id"] = body["client_id"]
    if not result.ok:
        return {"error": result.error, "node_errors": result.node_errors}, 400
    sensitive = {k: extra_data.pop(k) for k in SENSITIVE_EXTRA_DATA_KEYS if k in extra_data}
    state.queue.put(number, prompt_id, prompt, extra_data, result.outputs, sensitive)
    return {"prompt_id": prompt_id, "number": number, "node_errors": result.node_errors}, 200


@get(["/prompt", "/api/prompt"])
async def get_prompt(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(st(request).queue.info())


@get(["/queue", "/api/queue"])
async def get_queue(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(st(request).queue.snapshot())


@post(["/queue", "/api/queue"], status_code=200)
async def post_queue(request: Request[Any, Any, Any]) -> Response[bytes]:
    queue = st(request).queue
    try:
        body = await read_json(request)
        if "clear" in body and body["clear"]:
            queue.wipe()
        for prompt_id in body.get("delete", []):
            queue.delete(prompt_id)
    except Exception:
        return server_error()
    return empty()


@post(["/interrupt", "/api/interrupt"], status_code=200)
async def post_interrupt(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = st(request)
    try:
        body = await read_json(request)
    except ValueError:
        body = {}  # no body at all = global interrupt
    try:
        prompt_id = body.get("prompt_id")
    except AttributeError:
        return server_error()
    running = state.queue.running
    # A targeted interrupt only counts if that prompt runs *now*; otherwise it is silently ignored.
    applied = not prompt_id or (running is not None and running.prompt_id == prompt_id)
    if applied:
        state.executor.interrupt_requested = True
    state.observations.interrupts.append(InterruptRequest(prompt_id or None, applied))
    return empty()


@post(["/free", "/api/free"], status_code=200)
async def post_free(request: Request[Any, Any, Any]) -> Response[bytes]:
    return empty()


# -- history --------------------------------------------------------------------------------------
@get(["/history", "/api/history"])
async def get_history(request: Request[Any, Any, Any]) -> Response[bytes]:
    query = request.query_params
    try:
        max_items = int(query["max_items"]) if "max_items" in query else None
        offset = int(query["offset"]) if "offset" in query else -1
    except ValueError:
        return server_error()
    return json_response(st(request).queue.history_page(max_items, offset))


@get(["/history/{prompt_id:str}", "/api/history/{prompt_id:str}"])
async def get_history_item(request: Request[Any, Any, Any]) -> Response[bytes]:
    prompt_id = request.path_params["prompt_id"]
    history = st(request).queue.history
    return json_response({prompt_id: history[prompt_id]} if prompt_id in history else {})


@post(["/history", "/api/history"], status_code=200)
async def post_history(request: Request[Any, Any, Any]) -> Response[bytes]:
    queue = st(request).queue
    try:
        body = await read_json(request)
        if "clear" in body and body["clear"]:
            queue.wipe_history()
        for prompt_id in body.get("delete", []):
            queue.delete_history(prompt_id)
    except Exception:
        return server_error()
    return empty()


# -- files ----------------------------------------------------------------------------------------
@get(["/view", "/api/view"])
async def view(request: Request[Any, Any, Any]) -> Response[bytes]:
    while st(request).settings.hold_views:
        await asyncio.sleep(VIEW_HOLD_POLL_SECONDS)
    query = dict(request.query_params)
    status, path = st(request).files.view_path(query)
    if path is None:
        return empty(status)
    filename = os.path.basename(path)
    headers = {"Content-Disposition": f'filename="{filename}"'}
    if "preview" in query:
        fmt, *rest = query["preview"].split(";")
        if fmt not in ("webp", "jpeg") or "a" in query.get("channel", ""):
            fmt = "webp"
        quality = int(rest[-1]) if rest and rest[-1].isdigit() else 90
        with Image.open(path) as img:
            buf = BytesIO()
            img.convert("RGB").save(buf, format=fmt, quality=quality)
        return Response(buf.getvalue(), media_type=f"image/{fmt}", headers=headers)
    channel = query.get("channel", "rgba")
    if channel in ("rgb", "a"):
        with Image.open(path) as img:
            rgba = img.convert("RGBA")
            out = rgba.convert("RGB") if channel == "rgb" else rgba.getchannel("A")
            buf = BytesIO()
            out.save(buf, format="PNG")
        return Response(buf.getvalue(), media_type="image/png", headers=headers)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if content_type in ("text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css"):
        content_type = "application/octet-stream"  # forced download, like the real server
    with open(path, "rb") as f:
        return Response(f.read(), media_type=content_type, headers=headers)


@post(["/upload/image", "/api/upload/image"], status_code=200)
async def upload_image(request: Request[Any, Any, Any]) -> Response[bytes]:
    form = await request.form()
    image = form.get("image")
    if not isinstance(image, UploadFile):
        return empty(400)
    overwrite = form.get("overwrite") in ("true", "1")
    data = await image.read()
    try:
        result = st(request).files.upload(
            image.filename, data, form.get("type"), str(form.get("subfolder", "")), overwrite
        )
    except ValueError:
        return server_error()
    return empty(result) if isinstance(result, int) else json_response(result)


# -- catalogue and info ---------------------------------------------------------------------------
@get(["/object_info", "/api/object_info"])
async def object_info(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(st(request).catalog.object_info())


@get(["/object_info/{node_class:str}", "/api/object_info/{node_class:str}"])
async def object_info_node(request: Request[Any, Any, Any]) -> Response[bytes]:
    node_class = request.path_params["node_class"]
    info = st(request).catalog.node(node_class)
    return json_response({node_class: info} if info is not None else {})


@get(["/models", "/api/models"])
async def models(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(list(MODEL_FOLDERS))


@get(["/models/{folder:str}", "/api/models/{folder:str}"])
async def models_in_folder(request: Request[Any, Any, Any]) -> Response[bytes]:
    folder = request.path_params["folder"]
    if folder not in MODEL_FOLDERS:
        return empty(404)  # legacy names too: /models/unet is 404, use diffusion_models
    return json_response(st(request).settings.model_files(folder))


@get(["/embeddings", "/api/embeddings"])
async def embeddings(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response([os.path.splitext(f)[0] for f in st(request).settings.model_files("embeddings")])


@get(["/system_stats", "/api/system_stats"])
async def system_stats(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(SYSTEM_STATS)


@get(["/features", "/api/features"])
async def features(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(SERVER_FEATURES)


# -- websocket ------------------------------------------------------------------------------------
@websocket(["/ws", "/api/ws"])
async def ws_endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    state = st(socket)
    hub = state.hub
    sid = socket.query_params.get("clientId", "") or uuid.uuid4().hex
    await socket.accept()
    state.observations.websocket_clients.append(sid)
    conn = Connection(socket)
    hub.register(sid, conn)
    writer = asyncio.create_task(conn.write_forever())
    # Everything goes through the hub by clientId, as in server.py: a socket that was taken over
    # sends its handshake reply to (and stores its flags for) the socket that replaced it.
    try:
        hub.send_json("status", {"status": state.queue.info(), "sid": sid}, sid)
        executor = state.executor
        if executor.client_id == sid and executor.last_node_id is not None:
            # Reconnect mid-job: only the node, no prompt_id (capture 14).
            hub.send_json("executing", {"node": executor.last_node_id}, sid)
        first_message = True
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                continue
            try:
                data = json.loads(text)
                if first_message and data.get("type") == "feature_flags":
                    hub.feature_flags[sid] = data.get("data", {})
                    hub.send_json("feature_flags", SERVER_FEATURES, sid)
                first_message = False
            except (ValueError, AttributeError):
                continue
    except WebSocketDisconnect:
        pass
    finally:
        hub.unregister(sid)
        writer.cancel()


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    return empty(404)


def build_app(state: ServerState) -> Litestar:
    app = Litestar(
        route_handlers=[
            post_prompt,
            get_prompt,
            get_queue,
            post_queue,
            post_interrupt,
            post_free,
            get_history,
            get_history_item,
            post_history,
            view,
            upload_image,
            object_info,
            object_info_node,
            models,
            models_in_folder,
            embeddings,
            system_stats,
            features,
            ws_endpoint,
        ],
        exception_handlers={NotFoundException: not_found},
        openapi_config=None,
        logging_config=None,  # Litestar's default would reconfigure the test process's root logger
        request_max_body_size=SERVER_FEATURES["max_upload_size"],
        multipart_form_part_limit=100,
    )
    app.state.double = state
    return app
