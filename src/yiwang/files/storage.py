"""The storage backend of the blobs on a local (or mounted network) disk.

Content-addressed names change how a file system storage must behave: the name *is* the content, so a
second writer of a name has nothing to add and must never get ``name_AbC123`` (Django's default), and a
reader must never see a blob half-written. Each blob is written to a temporary file in its folder and
renamed into place (``os.replace`` is atomic on POSIX); two concurrent writers of the same content both
succeed and leave one complete file. S3-compatible storage needs none of this: a PUT is atomic, and
``S3Storage(file_overwrite=True)`` keeps the name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.core.files.utils import validate_file_name


class BlobFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` that writes atomically and never renames: for ``ab/cd/<sha256>`` blobs."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        validate_file_name(name, allow_relative_path=True)
        return name

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            # the two fan-out levels (ab/ and ab/cd/) of this blob; the root is the operator's
            os.chmod(os.path.dirname(directory), self.directory_permissions_mode)
            os.chmod(directory, self.directory_permissions_mode)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".partial-")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            # Race: another upload of the same content may have put the blob in place meanwhile. Its bytes
            # are the same as ours (same SHA-256), so replacing it changes nothing a reader could notice:
            # a reader holding the old file keeps reading the old inode.
            os.replace(temporary, full_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        return name
