"""Code lists of the files app."""

from django.db import models


class FileType(models.TextChoices):
    """The kinds of file accepted as application materials, by MIME type (decided from the content, never
    from the name: see ``yiwang.files.sniffing``)."""

    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "JPG"
    PNG = "image/png", "PNG"
    OFD = "application/ofd", "OFD"  # GB/T 33190-2016 版式文档: a zip with OFD.xml at its root


# The file name extensions each type may carry; the first is the one a wrong or missing extension becomes.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    FileType.PDF: (".pdf",),
    FileType.JPEG: (".jpg", ".jpeg"),
    FileType.PNG: (".png",),
    FileType.OFD: (".ofd",),
}
