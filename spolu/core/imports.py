"""What every spreadsheet import shares: reading the upload within a size limit, file errors."""

from django.utils.translation import gettext as _

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be imported (unreadable, too large, no usable sheet)."""

    def __init__(self, message, sheet=""):
        super().__init__(str(message))
        self.message = message
        self.sheet = sheet


def read_upload(fileobj, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """All bytes of an upload, from the start (the confirm step reads the same file again)."""
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileProblem(
            _("The file is larger than %(limit)s MB.") % {"limit": max_bytes // 2**20}
        )
    return data
