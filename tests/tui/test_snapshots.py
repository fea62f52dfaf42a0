"""The main screens at 80x24 and 120x40, drawn from a real Studio holding fixed jobs.

Everything on screen is fixed: job ids, times (shown in UTC; elapsed times against a fixed
clock), output images, and Studio's port (it shows in output URLs).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

import tests.integration.worker.stack as stack_module
from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DoubleSettings
from tests.common.paths import REPO
from tests.common.stacks import MODELS
from tests.integration.worker.stack import Stack
from tests.tui.studio_data import FAR_FUTURE, insert_jobs, job_id, job_row, until, write_output
from tui.app import StudioApp
from tui.screens.detail import JobDetailScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_form import JobFormScreen
from tui.widgets.detail.outputs import PreviewImage
from tui.widgets.form.fields import ParamField
from tui.widgets.history.table import HistoryTable
from tui.widgets.queue.tables import ActiveTable, RecentTable

# textual-image 0.12 draws previews with a Pillow call Pillow 12 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")

PORT = 18461
T0 = datetime.datetime(2026, 3, 14, 9, 0, tzinfo=datetime.timezone.utc)
NOW = T0 + datetime.timedelta(hours=1)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
NODE_ERRORS = {
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "dependent_outputs": ["9"],
        "errors": [
            {
                "type": "value_not_in_list",
                "message": "Value not in list",
                "details": "ckpt_name: 'sdxl_turbo.safetensors' not in ['other.safetensors', 'sd_xl_base_1.0.safetensors']",
                "extra_info": {
                    "input_name": "ckpt_name",
                    "input_config": [["other.safetensors", "sd_xl_base_1.0.safetensors"], {}],
                    "received_value": "sdxl_turbo.safetensors",
                },
            }
        ],
    }
}


def fixed_jobs(stack: Stack) -> list[dict[str, Any]]:
    minutes = lambda m: T0 + datetime.timedelta(minutes=m)  # noqa: E731
    castle = "a castle on a cliff above a stormy sea, oil painting, dramatic light"
    ramen = "a bowl of ramen, studio photo"
    return [
        job_row(
            1, minutes(5), castle,
            params={"prompt": castle, "negative_prompt": "blurry, low quality", "aspect_ratio": "16:9", "seed": -1},
            negative_prompt="blurry, low quality", aspect_ratio="16:9", width=1344, height=768, seed=421337,
            favorite=True, lane="gpu-host-1 http://127.0.0.1:8188",
            outputs=[write_output(stack, 1, "castle_00001_.png", ((20, 40, 120), (250, 160, 40)), size=(84, 48))],
        ),
        job_row(
            2, minutes(10), "a neon city street at night", status="failed",
            params={"prompt": "a neon city street at night", "model": "sdxl_turbo.safetensors"}, model="sdxl_turbo.safetensors",
            error="ComfyUI rejected the workflow: Node 4 (CheckpointLoaderSimple) input 'ckpt_name': value "
            "'sdxl_turbo.safetensors' not in list ['other.safetensors', 'sd_xl_base_1.0.safetensors']",
            error_details={"type": "prompt_outputs_failed_validation", "node_errors": NODE_ERRORS},
        ),
        job_row(
            3, minutes(15), "an owl in a snowy forest", status="failed",
            error="Node 3 (KSampler) failed: OutOfMemoryError: CUDA out of memory.",
            error_details={
                "type": "execution_error", "node_id": "3", "node_type": "KSampler",
                "exception_type": "torch.OutOfMemoryError", "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB.",
                "traceback": ['  File "execution.py", line 496, in execute\n', '  File "nodes.py", line 1525, in sample\n'],
            },
        ),
        job_row(4, minutes(20), "a portrait of an old fisherman, film grain", status="cancelled"),
        job_row(
            5, minutes(25), ramen, workflow="text_to_image_unet",
            params={"prompt": ramen, "batch_size": 2}, model="z_image_turbo_bf16.safetensors", batch_size=2, steps=8, cfg=1.0,
            sampler="res_multistep", scheduler="simple",
            outputs=[
                write_output(stack, 5, "ramen_00001_.png", ((200, 60, 30), (250, 230, 180))),
                write_output(stack, 5, "ramen_00002_.png", ((30, 120, 60), (230, 250, 200))),
            ],
            texts=[{"node_id": "12", "text": "2 images, 1024×1024"}],
        ),
        job_row(
            6, minutes(50), "a lighthouse at dusk, volumetric fog", status="processing", progress=62,
            started_at=NOW - datetime.timedelta(seconds=42), worker="gpu-host-2 1234", lane="gpu-host-2 http://10.0.0.2:8188",
            lease_expires_at=FAR_FUTURE,  # a lane of another host: nothing here touches it
        ),
        job_row(7, minutes(58), "a red fox in fresh snow", status="queued"),
        job_row(8, minutes(59.5), "a watercolor map of an imaginary island", status="queued"),
    ]


@pytest.fixture(scope="module")
def utc() -> Iterator[None]:
    """Times show in the local zone; here that is UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(scope="module")
def fixed_studio(tmp_path_factory: pytest.TempPathFactory, utc: None) -> Iterator[Stack]:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a previous run's TIME_WAIT is fine
        try:
            probe.bind(("127.0.0.1", PORT))
        except OSError:
            pytest.fail(f"The snapshots need port {PORT} (it shows in output URLs), and something holds it.")
    tmp = tmp_path_factory.mktemp("fixed-studio")
    shutil.copytree(REPO / "workflows", tmp / "workflows")
    double = ComfyDouble(DoubleSettings(models=MODELS), data_dir=tmp / "comfyui").start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack_module, "free_port", lambda: PORT)
        # Retention would remove these months-old jobs; keep them.
        stack = Stack("single", tmp, double.url, f"sqlite:///{tmp / 'data' / 'studio.sqlite'}", "", {"STUDIO_OUTPUT_RETENTION_DAYS": "36500"})
    stack.start()
    asyncio.run(insert_jobs(stack, fixed_jobs(stack)))
    yield stack
    stack.stop()
    double.stop()


def app_for(studio: Stack) -> StudioApp:
    return StudioApp(studio.url, clock=lambda: NOW)


async def _live(pilot: Pilot) -> None:
    await until(pilot, lambda: pilot.app.connection == "connected", what="the live feed")


@pytest.mark.parametrize("size", SIZES)
def test_queue(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    async def loaded(pilot: Pilot) -> None:
        await _live(pilot)
        screen = pilot.app.screen
        await until(pilot, lambda: screen.query_one(ActiveTable).row_count == 3 and screen.query_one(RecentTable).row_count == 4)

    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES)
def test_history(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    async def loaded(pilot: Pilot) -> None:
        await _live(pilot)
        await pilot.press("2")
        await until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
        table = pilot.app.screen.query_one(HistoryTable)
        await until(pilot, lambda: table.complete and table.row_count == 8)
        await pilot.press("down")

    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=loaded)


def _detail(n: int, previews: int):
    async def opened(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, StudioApp)
        await _live(pilot)
        app.open_job(await app.api.job(job_id(n)))
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await until(pilot, lambda: len(app.screen.query(PreviewImage)) == previews, what="the previews")

    return opened


@pytest.mark.parametrize("size", SIZES)
def test_finished_job(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=_detail(1, previews=1))


@pytest.mark.parametrize("size", SIZES)
def test_failed_job(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=_detail(2, previews=0))


def test_failed_run_with_traceback(snap_compare, fixed_studio: Stack) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=(120, 40), run_before=_detail(3, previews=0))


def test_job_with_two_outputs_and_a_text(snap_compare, fixed_studio: Stack) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=(120, 40), run_before=_detail(5, previews=2))


def _form(key: str, n: int | None = None):
    async def opened(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, StudioApp)
        await _live(pilot)
        if n is not None:
            app.remix(await app.api.job(job_id(n)))
        else:
            await pilot.press(key)
        await until(pilot, lambda: isinstance(app.screen, JobFormScreen) and app.screen.query(ParamField), what="the fields")
        await until(pilot, lambda: isinstance(app.focused, TextArea), what="the prompt to take the focus")
        app.focused.cursor_blink = False  # a blinking cursor would be on or off by chance

    return opened


@pytest.mark.parametrize("size", SIZES)
def test_new_job_form(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=_form("n"))


@pytest.mark.parametrize("size", SIZES)
def test_remix_form(snap_compare, fixed_studio: Stack, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(fixed_studio), terminal_size=size, run_before=_form("r", n=1))
