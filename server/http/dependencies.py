"""Dependencies resolved one after another.

Litestar resolves a handler's independent dependencies concurrently, in an anyio task group per
request (https://github.com/litestar-org/litestar/issues/4563). Studio's dependencies are all
look-ups in memory (the services, the caller the key middleware found): the task group gains
nothing and cost a tenth of a submit's CPU (bench/profiling/jobs.py --phases submit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection


async def _resolve_in_order(self: KwargsModel, connection: ASGIConnection, kwargs: dict[str, Any]) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:  # a batch needs only the batches before it
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]
