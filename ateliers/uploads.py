"""Checks of an uploaded CV: its type is read from its content, never from its name or the
browser's claim, and DOCX/ODT containers are opened to see that they are what they say."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

import filetype
from django.utils.translation import gettext as _

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", ODT: "odt"}
# A zip bomb guard: a CV's parts never unpack to more than this.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2000


class UploadRefused(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str


def _zip_kind(upload) -> str | None:
    """DOCX or ODT from the container's own structure, or None."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                return None
            names = {info.filename for info in infos}
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype == ODT and "content.xml" in names:
                    return ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    finally:
        upload.seek(0)
    return None


def check_cv(upload, *, max_bytes: int) -> CheckedFile:
    """Accepts a PDF, DOCX or ODT of at most max_bytes; raises UploadRefused otherwise."""
    if upload.size == 0:
        raise UploadRefused("empty", _("This file is empty."))
    if upload.size > max_bytes:
        raise UploadRefused(
            "too_large",
            _("A CV is at most %(size)s MB.") % {"size": max_bytes // (1024 * 1024)},
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime == PDF:
        upload.seek(max(upload.size - 1024, 0))
        tail = upload.read()
        upload.seek(0)
        if b"%%EOF" not in tail:
            raise UploadRefused("damaged", _("This PDF looks damaged or incomplete."))
        return CheckedFile(PDF, "pdf")
    if mime in ("application/zip", DOCX, ODT) or head.startswith(b"PK\x03\x04"):
        zip_kind = _zip_kind(upload)
        if zip_kind is not None:
            return CheckedFile(zip_kind, EXTENSIONS[zip_kind])
    raise UploadRefused(
        "bad_type", _("Send your CV as a PDF, Word (DOCX) or OpenDocument (ODT) file.")
    )
