from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-28T05:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Text outputs of jobs"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="studio", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Job",
        tablename="jobs",
        column_name="texts",
        db_column_name="texts",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "[]",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
