"""Sweeps (server/sweeps/): a grid of jobs over one to three parameters and its contact sheet."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID, Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

from server.clock import utc_now

ID = "2026-12-01T22:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Sweeps"

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

# (name, column class, params beyond _COMMON), in the table's order.
_COLUMNS = [
    ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
    ("owner", Varchar, {"length": 255, "default": None, "null": True}),
    ("workflow", Varchar, {"length": 100, "default": "", "null": False}),
    ("params", JSON, {"default": "{}", "null": False}),
    ("style", Varchar, {"length": 100, "default": None, "null": True}),
    ("axes", JSON, {"default": "[]", "null": False}),
    ("total", Integer, {"default": 0, "null": False}),
    ("ended", Integer, {"default": 0, "null": False}),
    ("cancel_requested", Boolean, {"default": False, "null": False}),
    ("sheet_path", Varchar, {"length": 255, "default": None, "null": True}),
    ("sheet_claimed_at", Timestamptz, {"default": None, "null": True}),
    ("created_at", Timestamptz, {"default": utc_now, "null": False, "index": True}),
    ("finished_at", Timestamptz, {"default": None, "null": True}),
    ("is_deleted", Boolean, {"default": False, "null": False}),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)
    manager.add_table(class_name="Sweep", tablename="sweeps", schema=None, columns=None)
    for name, column_class, params in _COLUMNS:
        manager.add_column(
            table_class_name="Sweep",
            tablename="sweeps",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**_COMMON, **params},
            schema=None,
        )
    return manager
