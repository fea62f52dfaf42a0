"""Webhook deliveries (server/webhooks/) and a key's default webhook and signing secret.

The table is made by DDL of the same column types Piccolo declares on both engines, so its
indexes come in the same step: Piccolo runs a migration's raw steps before the tables it adds.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-12-01T22:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Webhook deliveries, and a key's default webhook and secret"

CREATE = [
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id VARCHAR(40) PRIMARY KEY NOT NULL,
        job_id UUID NOT NULL,
        event VARCHAR(20) NOT NULL,
        url VARCHAR(2000) NOT NULL,
        owner VARCHAR(255),
        body TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TIMESTAMPTZ,
        claimed_until TIMESTAMPTZ,
        first_try_at TIMESTAMPTZ,
        last_status INTEGER,
        last_error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        delivered_at TIMESTAMPTZ,
        failed_at TIMESTAMPTZ
    )""",
    # One delivery per event of a job; also how a job's deliveries are found.
    "CREATE UNIQUE INDEX IF NOT EXISTS webhook_deliveries_job_event ON webhook_deliveries (job_id, event)",
    # The dispatcher's look, every second: only deliveries still on their way.
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_open ON webhook_deliveries (next_try_at) "
    "WHERE delivered_at IS NULL AND failed_at IS NULL",
]

_COMMON = {
    "null": True,
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

    async def create_table():
        for statement in CREATE:
            await engine_finder().run_ddl(statement)

    async def drop_table():
        await engine_finder().run_ddl("DROP TABLE IF EXISTS webhook_deliveries")

    manager.add_raw(create_table)
    manager.add_raw_backwards(drop_table)
    for column, length in (("webhook_url", 2000), ("webhook_secret", 100)):
        manager.add_column(
            table_class_name="ApiKey",
            tablename="api_keys",
            column_name=column,
            db_column_name=column,
            column_class_name="Varchar",
            column_class=Varchar,
            params={"length": length, "default": None, **_COMMON},
            schema=None,
        )
    return manager
