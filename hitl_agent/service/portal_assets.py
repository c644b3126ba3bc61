"""The portal's files (``grant_read_access``) and static assets, under ``/portal``; see
``portal.py`` for the security model.

Static assets: named by content-hashed URLs (``portal_static.py``); a request that carries the
current hash is cached for a year (``immutable``), any other must be revalidated.

Files for ``grant_read_access``: presigned through the service's S3 endpoint when it has one
(``s3_endpoint_url``), otherwise served here from ``{data}/files/{bucket}/{key}`` with an expiring
HMAC signature, CORS ``*`` and a ``sandbox`` CSP (a stored HTML file cannot run on this origin).
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from hitl_agent._lazy import lazy_exports

from .portal_static import static_asset
from .portal_web import files_root, portal_keys
from .signing import SignedUrlError, verify_signed_params

assets_router = APIRouter()
# moved to portal_static.py; the old path warns for one release
__getattr__, __dir__ = lazy_exports(
    globals(), deprecated={"STATIC_DIR": "hitl_agent.service.portal_static"}
)
IMMUTABLE = "public, max-age=31536000, immutable"


def _plain(status: int, text: str) -> Response:
    response = Response(text, status, media_type="text/plain; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@assets_router.get("/files")
async def files(request: Request) -> Response:
    """A local file for ``grant_read_access``: the signature is the only credential."""
    params = request.query_params
    if any(len(params.getlist(k)) != 1 for k in params):
        return _plain(403, "refused: the file URL repeats a parameter")
    try:
        bucket, key = verify_signed_params(dict(params), secret=portal_keys(request).files)
    except SignedUrlError as err:
        return _plain(403, f"refused: {err.reason}")
    root = files_root(request).resolve()
    path = (root / bucket / key).resolve()
    if not path.is_relative_to(root / bucket) or not path.is_file():
        return _plain(404, "no such file")
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path, media_type=ctype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@assets_router.get("/static/{file}")
async def static(file: str, request: Request) -> Response:
    asset = static_asset(file)
    if asset is None:
        return _plain(404, "no such file")
    etag = f'"{asset.version}"'
    fresh = request.headers.get("if-none-match") == etag
    response = Response(
        b"" if fresh else asset.body, 304 if fresh else 200, media_type=asset.content_type
    )
    hashed = request.query_params.get("v") == asset.version
    response.headers["Cache-Control"] = IMMUTABLE if hashed else "public, no-cache"
    response.headers["ETag"] = etag
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
