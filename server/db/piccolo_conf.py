"""Piccolo's configuration module (found through PICCOLO_CONF, set by `server.db.engine`).

`DB` is replaced by `server.db.engine.bind()` when Studio connects, because Piccolo's migration
runner looks the engine up here rather than taking it as an argument.
"""

import os

from piccolo.conf.apps import AppRegistry

from server.db.engine import engine_for_url

DB = engine_for_url(os.environ.get("STUDIO_DATABASE_URL") or "sqlite:///data/studio.sqlite")
APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])
