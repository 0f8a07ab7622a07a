"""Uploaded documents: the type is read from the content, never trusted from the name."""

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

DOCUMENT_TYPES = {PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, ODT, ODS}


def _zip_type(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return mimetype if mimetype in (ODT, ODS) else None
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def sniff_type(upload) -> str | None:
    """The document type of an uploaded file from its first bytes, or None if not accepted."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        found = _zip_type(upload)
        upload.seek(0)
        return found
    return None


def validate_document(upload) -> str:
    """Check size and type of an uploaded document; returns its content type."""
    limit = settings.SPOLU_ATTACHMENT_MAX_MB
    if upload.size > limit * 1024 * 1024:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s MB.") % {"name": upload.name, "limit": limit}
        )
    content_type = sniff_type(upload)
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not a PDF, DOCX, XLSX, ODT or image file.") % {"name": upload.name}
        )
    return content_type
