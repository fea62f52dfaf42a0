from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from server.access.schemas import Caller
from server.errors import error_response, error_responses
from server.presets.schemas import Preset, PresetCreate
from server.presets.service import PresetService

Presets = NamedDependency[PresetService]
# Presets are the caller's own (its key name's); someone else's answer as absent.
Me = NamedDependency[Caller]


class PresetController(Controller):
    path = "/api/presets"
    tags = ["presets"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Save a job's parameters (job_id), or a workflow's (workflow, params), under a name",
        responses={**error_responses(404), 409: error_response("The caller has a preset of that name already")},
    )
    async def create_preset(self, data: JSONBody[PresetCreate], presets: Presets, caller: Me) -> Preset:
        return await presets.create(data, caller)

    @get("/", summary="The caller's presets, by name", responses=error_responses())
    async def list_presets(self, presets: Presets, caller: Me) -> list[Preset]:
        return await presets.list(caller)

    @get("/{name:str}", summary="One preset", responses=error_responses(404))
    async def get_preset(self, name: FromPath[str], presets: Presets, caller: Me) -> Preset:
        return await presets.get(name, caller)

    @delete("/{name:str}", status_code=HTTP_204_NO_CONTENT, summary="Delete a preset", responses=error_responses(404))
    async def delete_preset(self, name: FromPath[str], presets: Presets, caller: Me) -> None:
        await presets.delete(name, caller)
