from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The prompt style of jobs and the parameters it set"

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
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
        column_name="style",
        db_column_name="style",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 100, "default": None, "null": True, **_COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="styled_params",
        db_column_name="styled_params",
        column_class_name="JSON",
        column_class=JSON,
        params={"default": "{}", "null": False, **_COMMON},
        schema=None,
    )

    return manager
