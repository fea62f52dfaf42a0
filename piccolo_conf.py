"""Entry point for the `piccolo` CLI (e.g. `piccolo migrations new studio --auto`)."""

from server.db.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
