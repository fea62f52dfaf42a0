from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.db.tables import ApiKey, Job, Preset, Session, Sweep, Upload, WebhookDelivery

APP_CONFIG = AppConfig(
    app_name="studio",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Job, Upload, ApiKey, Preset, Sweep, WebhookDelivery, Session],
)
