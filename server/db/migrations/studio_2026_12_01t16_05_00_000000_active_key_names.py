"""One active API key per name, also when two are made at the same moment; revoked keys may share
it (a name is given to a new key to rotate it). Its own migration: Piccolo runs a migration's raw
steps before the tables it adds."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T16:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A unique name among active API keys"

INDEX = "api_keys_active_name"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON api_keys (name) WHERE revoked_at IS NULL")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
