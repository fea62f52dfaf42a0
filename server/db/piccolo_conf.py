"""Piccolo's configuration module: where its CLI and its migration runner look up `DB` and `APP_REGISTRY`.

While Studio migrates, `DB` is the engine it migrates (server.db.migrate). For the `piccolo` CLI
(through the top-level piccolo_conf.py) it is the database `studio` itself would use -
STUDIO_DATABASE_URL, else the SQLite file in STUDIO_DATA_DIR - built when first asked for, so
importing this module builds no engine.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from server.config import load_settings
from server.db.engine import engine_for_url

APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])


def __getattr__(name: str) -> Engine:
    # Called only for attributes the module lacks (PEP 562): once `DB` is set, it is found directly.
    if name != "DB":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global DB
    # One engine for the whole run: a SQLite transaction is seen only by the engine that opened it.
    DB = engine_for_url(load_settings(flags=()).resolved_database_url)
    return DB
