from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A job's webhook, and the sweep and cell it belongs to"

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="webhook",
        db_column_name="webhook",
        column_class_name="JSON",
        column_class=JSON,
        params={"default": None, "null": True, "index": False, **_COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="sweep_id",
        db_column_name="sweep_id",
        column_class_name="UUID",
        column_class=UUID,
        params={"default": None, "null": True, "index": True, **_COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="sweep_index",
        db_column_name="sweep_index",
        column_class_name="Integer",
        column_class=Integer,
        params={"default": None, "null": True, "index": False, **_COMMON},
        schema=None,
    )

    return manager
