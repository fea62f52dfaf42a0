"""Browser sessions (server/access/sessions.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

from server.clock import utc_now

ID = "2026-12-01T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Browser sessions"

_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
# name, class, params besides _COMMON
_COLUMNS = [
    ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True, "unique": False, "index": False}),
    ("key_id", UUID, {"default": UUID4(), "null": False, "unique": False, "index": True}),
    ("token_hash", Varchar, {"length": 64, "default": "", "null": False, "unique": True, "index": False}),
    ("csrf_token", Varchar, {"length": 64, "default": "", "null": False, "unique": False, "index": True}),
    ("created_at", Timestamptz, {"default": utc_now, "null": False, "unique": False, "index": False}),
    ("last_seen_at", Timestamptz, {"default": utc_now, "null": False, "unique": False, "index": False}),
    ("expires_at", Timestamptz, {"default": utc_now, "null": False, "unique": False, "index": False}),
    ("revoked_at", Timestamptz, {"default": None, "null": True, "unique": False, "index": False}),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="studio", description=DESCRIPTION)
    manager.add_table(class_name="Session", tablename="sessions", schema=None, columns=None)
    for name, column_class, params in _COLUMNS:
        manager.add_column(
            table_class_name="Session",
            tablename="sessions",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**_COMMON, **params},
            schema=None,
        )
    return manager
