"""The page's files, read once when the app is made: each served under a name holding its content
hash (cached for a year), and index.html written with those names.

Modules import each other by plain relative names (`./api.js`); the import map in index.html points
each one at its hashed URL, so a changed module changes its own URL only. The import map is inline,
so the Content-Security-Policy allows exactly that script by its hash and nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/app/"
INDEX = "index.html"
# Hex digits of the SHA-256 in a file's served name: enough to never collide among a few files.
HASH_CHARS = 12
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


class WebAssets:
    def __init__(self, folder: Path = STATIC_DIR) -> None:
        self.files: dict[str, Asset] = {}  # hashed name -> the file
        urls: dict[str, str] = {}  # plain name -> hashed URL
        for path in sorted(folder.iterdir()):
            if path.name == INDEX or not path.is_file():
                continue
            body = path.read_bytes()
            hashed = f"{path.stem}.{hashlib.sha256(body).hexdigest()[:HASH_CHARS]}{path.suffix}"
            media_type = MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.files[hashed] = Asset(body, media_type)
            urls[path.name] = PREFIX + hashed
        import_map = json.dumps({"imports": {PREFIX + name: url for name, url in urls.items() if name.endswith(".js")}})
        page = (folder / INDEX).read_text().replace("{{import_map}}", import_map)
        for name, url in urls.items():
            page = page.replace(f"{{{{{name}}}}}", url)
        self.index = page.encode()
        script_hash = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
        # Nothing from other hosts, nothing inline but the import map; images may be blob: (an input
        # image previewed before its upload).
        self.csp = (
            f"default-src 'none'; script-src 'self' 'sha256-{script_hash}'; style-src 'self'; img-src 'self' blob: data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
