"""Composite indexes for the history queries: newest first, keyset on (created_at, id)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes for history listing, filters and lease recovery"

INDEXES = {
    "jobs_history": "created_at, id",
    "jobs_status_history": "status, created_at, id",
    "jobs_workflow_history": "workflow, created_at, id",
    "jobs_favorite_history": "favorite, created_at, id",
    "jobs_status_lease": "status, lease_expires_at",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, columns in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON jobs ({columns})")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
