"""Result reuse: a job whose inputs are identical to a finished job's of the same owner takes that
job's outputs instead of running. Identical means the graph the worker would send ComfyUI
(server/worker/runner.py), with each input image as the sha256 of its bytes in place of its
upload name, and only what ComfyUI computes from (class types and inputs)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import anyio
import msgspec

from server.jobs import repository
from server.jobs.schemas import Job, Output
from server.storage import LocalStorage
from server.workflows.manifest import Workflow
from server.workflows.params import bound_values, resolve_run


def reuse_key(workflow: Workflow, params: dict[str, Any], styled: dict[str, Any], seed: int | None, digests: dict[str, str]) -> str:
    """The key of a job's inputs; `digests`: upload name -> sha256 of its bytes."""
    resolved, _ = resolve_run(workflow, params, styled, seed)
    values = {**resolved.values, **{name: digests[upload] for name, upload in resolved.images.items()}}
    # The filled graph is the workflow's graph with fill_graph's writes: hashing both hashes it, uncopied.
    inputs = {node_id: [node.get("class_type"), node.get("inputs", {})] for node_id, node in workflow.graph.items()}
    return hashlib.sha256(msgspec.json.encode([inputs, bound_values(workflow, values)], order="sorted")).hexdigest()


async def source(key: str, owner: str | None, storage: LocalStorage) -> Job | None:
    """The newest finished job of `owner` with this key whose output files all still exist."""
    for job in await repository.finished_with_key(key, owner):
        if all(storage.path("outputs", output.path).is_file() for output in job.outputs):
            return job
    return None


async def copy_outputs(storage: LocalStorage, job: Job, job_id: uuid.UUID) -> list[Output]:
    """`job`'s outputs as files of the job `job_id` of its own (hard links where the file system
    allows): deleting either job leaves the other's files. FileNotFoundError if one went meanwhile."""

    def copy() -> list[Output]:
        outputs = []
        for output in job.outputs:
            name = f"{job_id}/{output.path.partition('/')[2]}"
            storage.link("outputs", output.path, name)
            outputs.append(msgspec.structs.replace(output, path=name, url=f"/outputs/{name}"))
        return outputs

    try:
        return await anyio.to_thread.run_sync(copy)
    except BaseException:
        storage.delete_tree("outputs", str(job_id))
        raise
