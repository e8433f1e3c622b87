"""Delivered files' content (docs/sync-protocol.md, "Delivered files"): a tus-like upload —
`HEAD …/upload` says how many bytes the server holds (`Upload-Offset`), `PATCH …/upload`
with `Upload-Offset` sends the next chunk — and `GET` of the file for the order's parties
(and the staff settling a dispute on it). Anyone else gets 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from jiedan_cli.domain.delivery_files import UPLOAD_CHUNK_MAX
from jiedan_cli.server.api.deps import Ctx, authed_ctx
from jiedan_cli.server.file_store import FileStore, LocalFileStore
from jiedan_cli.server.services import delivery_files

router = APIRouter(prefix="/v1", tags=["work"])

FILE = "/deliveries/{delivery_id}/files/{index}"
UPLOAD = FILE + "/upload"
# The request-body cap of this route alone (api/limits.BodyLimit): a chunk, not a JSON body.
CHUNK_ROUTE = ("PATCH", r"^/v1/deliveries/[^/]+/files/[^/]+/upload$", UPLOAD_CHUNK_MAX)
Index = Path(ge=0, le=1000, description="the file's place in the delivery, from 0")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    404: {"description": "No such delivery file (or not the caller's)"},
    413: {"description": "The file is over the server's size cap"},
}


def store_of(ctx: Ctx) -> FileStore:
    """The app's file store (one per app: made on first use)."""
    state = ctx.request.app.state
    store: FileStore | None = getattr(state, "file_store", None)
    if store is None:
        store = state.file_store = LocalFileStore(ctx.settings.files_dir())
    return store


def _upload_headers(status: dict[str, Any]) -> dict[str, str]:
    return {
        "Upload-Offset": str(status["offset"]),
        "Upload-Length": str(status["size"]),
        "Cache-Control": "no-store",
    }


@router.head(UPLOAD, responses=ERRORS)
def upload_offset(delivery_id: str, index: int = Index, ctx: Ctx = Depends(authed_ctx)) -> Response:
    """How much of the file the server holds: `Upload-Offset` (and `Upload-Length`, the
    delivered size). The delivering freelancer only."""
    with ctx.db.read() as conn:
        status = delivery_files.upload_status(
            conn, store_of(ctx), ctx.user, delivery_id, index, ctx.settings.max_delivery_file_bytes
        )
    return Response(status_code=200, headers=_upload_headers(status))


@router.patch(
    UPLOAD,
    responses={
        **ERRORS,
        409: {"description": "`Upload-Offset` is not what the server holds (code upload_offset)"},
        422: {"description": "Past the file's end; or the whole's SHA-256 is not the delivered"},
    },
)
async def upload_chunk(
    request: Request,
    delivery_id: str,
    index: int = Index,
    upload_offset: int = Header(ge=0, alias="Upload-Offset"),
    ctx: Ctx = Depends(authed_ctx),
) -> Response:
    """Append the body (`application/offset+octet-stream`, at most 16 MiB) at
    `Upload-Offset`. Answers `{offset, size, complete}`; the last chunk is checked against
    the delivered SHA-256 (a mismatch drops the upload: start again from 0)."""
    chunk = await request.body()

    def receive() -> dict[str, Any]:
        return delivery_files.receive_chunk(
            ctx.db,
            store_of(ctx),
            ctx.user,
            delivery_id=delivery_id,
            index=index,
            offset=upload_offset,
            chunk=chunk,
            cap=ctx.settings.max_delivery_file_bytes,
            now=ctx.now(),
        )

    status = await run_in_threadpool(receive)
    return JSONResponse(status, headers=_upload_headers(status))


@router.get(
    FILE,
    response_class=FileResponse,
    responses={
        **ERRORS,
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        409: {"description": "Its content has not been uploaded yet (code not_uploaded)"},
    },
)
def download_file(delivery_id: str, index: int = Index, ctx: Ctx = Depends(authed_ctx)) -> Any:
    """The file's bytes (Range requests work), with its SHA-256 as `ETag`."""
    store = store_of(ctx)
    with ctx.db.read() as conn:
        target = delivery_files.download_target(conn, store, ctx.user, delivery_id, index)
    return FileResponse(
        store.path(target["key"]),
        media_type="application/octet-stream",
        filename=target["name"],
        headers={"ETag": f'"{target["sha256"]}"', "Cache-Control": "private, no-store"},
    )
