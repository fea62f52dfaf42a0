from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The reuse key of jobs and the job whose outputs one reused"

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
        column_name="reuse_key",
        db_column_name="reuse_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 64, "default": None, "null": True, "index": True, **_COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="reused_from",
        db_column_name="reused_from",
        column_class_name="UUID",
        column_class=UUID,
        params={"default": None, "null": True, "index": False, **_COMMON},
        schema=None,
    )

    return manager
