"""The HTTP response that hands a stored file to its reader: one function for the API and the pages."""

from __future__ import annotations

from django.http import FileResponse

from yiwang.files.models import Upload
from yiwang.files.selectors import upload_open


def upload_content_response(upload: Upload) -> FileResponse:
    """The bytes as a download (``Content-Disposition: attachment`` with the UTF-8 name), never rendered
    inline by the browser, never cached by a shared cache: materials are personal data."""
    response = FileResponse(
        upload_open(upload),
        as_attachment=True,
        filename=upload.name,
        content_type=upload.blob.content_type,
    )
    response["Content-Length"] = str(upload.blob.size)
    response["Cache-Control"] = "private, no-store"
    # Should a browser open it anyway: no script, no plugin, no same-origin access.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
