"""For the `piccolo` CLI run in this folder (e.g. `piccolo migrations new studio --auto`): Studio's
configuration module, server/db/piccolo_conf.py."""

from server.db.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
