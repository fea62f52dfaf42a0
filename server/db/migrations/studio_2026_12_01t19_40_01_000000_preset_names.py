"""One preset per name and owner, also when two are saved at the same moment."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T19:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "A unique name among each owner's presets"

INDEX = "presets_owner_name"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON presets (owner, name)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
