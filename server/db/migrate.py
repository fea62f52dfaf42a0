"""Studio's migrations, applied by Piccolo's runner to the database at a URL."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

from piccolo.conf.apps import ENVIRONMENT_VARIABLE
from piccolo.engine.base import Engine

from server.db import piccolo_conf
from server.db.engine import bind


async def migrate(url: str, *, verbose: bool = False) -> None:
    """Apply every migration that has not run yet; safe to call on every start."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    engine = bind(url)
    output = io.StringIO()
    # Piccolo prints its progress; keep start-up quiet unless asked (`studio migrate`).
    with _runner_uses(engine), contextlib.nullcontext() if verbose else contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="studio")
    if not result.success:
        raise RuntimeError(f"Database migration failed: {result.message}\n{output.getvalue()}")


async def unknown_migrations(url: str) -> list[str]:
    """Migrations the database at `url` records that this code does not have, oldest first: a
    newer Studio migrated it, and this one would misread its tables."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    from server.db.piccolo_app import APP_CONFIG

    bind(url)
    if not await Migration.table_exists():  # a new database: nothing ran yet
        return []
    ran = await Migration.select(Migration.name).where(Migration.app_name == APP_CONFIG.app_name).output(as_list=True)
    known = BaseMigrationManager().get_migration_modules(APP_CONFIG.migrations_folder_path)
    return sorted(set(ran) - set(known))


@contextlib.contextmanager
def _runner_uses(engine: Engine) -> Iterator[None]:
    """Piccolo's runner takes no engine: it, and each migration, looks `DB` up in the module that
    PICCOLO_CONF names (engine_finder). Name Studio's, holding `engine`, while it runs; then put
    back what was there, so that migrating leaves the environment as it found it."""
    previous = os.environ.get(ENVIRONMENT_VARIABLE)
    os.environ[ENVIRONMENT_VARIABLE] = piccolo_conf.__name__
    piccolo_conf.DB = engine
    try:
        yield
    finally:
        del piccolo_conf.DB
        if previous is None:
            del os.environ[ENVIRONMENT_VARIABLE]
        else:
            os.environ[ENVIRONMENT_VARIABLE] = previous
