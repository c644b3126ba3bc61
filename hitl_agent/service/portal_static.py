"""The portal's static assets (``static/``: its script and style, the task frame's bridge and
``crowd-elements.js``), read once per process, and their content-hashed URLs.

A page names an asset as ``/portal/static/{file}?v={hash}`` (:func:`static_url`); the hash is the
start of the file's SHA-256, so a URL never names two contents and the browser may keep it for a
year without asking again (``Cache-Control: immutable``, ``portal_assets.py``). A URL without the
current hash is still served, but must be revalidated.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
STATIC_FILE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(?:js|css)$")
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class StaticAsset:
    body: bytes
    version: str
    content_type: str


@cache
def static_asset(name: str) -> StaticAsset | None:
    """The asset ``name`` (a plain file name of ``static/``), or None when there is none."""
    if not STATIC_FILE.match(name) or not (STATIC_DIR / name).is_file():
        return None
    body = (STATIC_DIR / name).read_bytes()
    return StaticAsset(
        body, hashlib.sha256(body).hexdigest()[:16], CONTENT_TYPES[Path(name).suffix]
    )


@cache
def static_url(name: str) -> str:
    """The content-hashed URL of a static asset of the portal."""
    asset = static_asset(name)
    suffix = f"?v={asset.version}" if asset else ""
    return f"/portal/static/{name}{suffix}"
