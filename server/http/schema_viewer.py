"""The viewer at /schema: Swagger UI served by Studio itself, so it works offline (GPU hosts often are).

Litestar's viewers load their scripts, styles, fonts and favicon from CDNs; here every asset comes
from the swagger-ui-py package (Swagger UI's own dist files), served under /schema/assets/.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS = "/schema/assets"
# The package's files only: importing swagger_ui would load its web-framework adapters.
_spec = find_spec("swagger_ui")
if _spec is None or _spec.origin is None:
    raise ImportError("swagger-ui-py is missing: reinstall Studio's dependencies (requirements.lock).")
STATIC_DIR = Path(_spec.origin).parent / "static"

RENDER_PLUGINS = [
    SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f'<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">',
    ),
    JsonRenderPlugin(),
    YamlRenderPlugin(),
]

ASSETS_ROUTER = create_static_files_router(
    path=ASSETS, directories=[STATIC_DIR], name="schema-assets", cache_control=CacheControlHeader(max_age=86400)
)
