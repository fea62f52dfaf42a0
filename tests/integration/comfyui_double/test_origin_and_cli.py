"""Origin check (capture 19) and the command line."""

from __future__ import annotations

import pytest
import websockets

from tests.comfyui_double.cli import main, parse_args, settings_from


async def test_origin_check_like_capture_19(comfy_double, http) -> None:
    own = f"http://127.0.0.1:{comfy_double.port}"
    assert (await http.get("/queue")).status_code == 200  # no Origin
    assert (await http.get("/queue", headers={"Origin": own})).status_code == 200
    for origin in ("http://localhost:3000", f"http://127.0.0.1:{comfy_double.port + 1}", "http://evil.example.com"):
        r = await http.post("/queue", json={"delete": []}, headers={"Origin": origin})
        assert (r.status_code, r.content) == (403, b"")
        with pytest.raises(websockets.InvalidStatus) as rejected:
            await websockets.connect(comfy_double.ws_url, origin=origin)
        assert rejected.value.response.status_code == 403
    comfy_double.settings.origin_check = False
    assert (await http.get("/queue", headers={"Origin": "http://localhost:3000"})).status_code == 200
    async with websockets.connect(comfy_double.ws_url, origin="http://localhost:3000") as ws:
        assert "status" in await ws.recv()


def test_cli_flags_build_settings() -> None:
    args = parse_args(
        [
            "--port",
            "0",
            "--node-seconds",
            "0.05",
            "--steps-seconds",
            "0.2",
            "--job-seconds",
            "3",
            "--models",
            "checkpoints=a.safetensors,b.safetensors",
            "--models",
            "unet=u.safetensors",
            "--class-seconds",
            "KSampler=2.5",
            "--fail-class-types",
            "VAEDecode,SaveImage",
            "--preview-method",
            "auto",
            "--no-origin-check",
        ]
    )
    settings = settings_from(args)
    assert (settings.node_seconds, settings.step_seconds, settings.job_seconds) == (0.05, 0.2, 3.0)
    assert settings.models == {"checkpoints": ["a.safetensors", "b.safetensors"], "diffusion_models": ["u.safetensors"]}
    assert settings.class_seconds == {"KSampler": 2.5} and settings.fail_class_types == ["VAEDecode", "SaveImage"]
    assert settings.preview_method == "auto" and settings.origin_check is False


def test_cli_help_and_bad_flags(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--port", "--node-seconds", "--steps-seconds", "--job-seconds", "--models", "--fail-value"):
        assert flag in out
    with pytest.raises(SystemExit):
        parse_args(["--preview-method", "sometimes"])
    with pytest.raises(ValueError):
        settings_from(parse_args(["--models", "unknown_folder=x"]))
