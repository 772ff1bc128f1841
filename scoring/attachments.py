"""Rectification attachments are accepted by what they contain, not by what they are called."""

import zipfile
from pathlib import PurePath

from django import forms

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
}


def _pdf_ends(file):
    """A PDF ends with %%EOF (give or take trailing whitespace)."""
    file.seek(max(file.size - 1024, 0))
    return b"%%EOF" in file.read()


def _kind(head, file):
    if head.startswith(b"%PDF-"):
        return "pdf" if _pdf_ends(file) else None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        # Macros ride in vbaProject.bin, whatever the case of its name.
        macros = any(name.lower().endswith("vbaproject.bin") for name in names)
        if {"[Content_Types].xml", "word/document.xml"} <= names and not macros:
            return "docx"
    return None


def sniff_attachment(file):
    """The content type of an allowed attachment; raises ValidationError for anything else."""
    if file.size > MAX_ATTACHMENT_BYTES:
        raise forms.ValidationError("附件不能超过 10 MB。")
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    kind = _kind(head, file)
    file.seek(0)
    if kind is None:
        raise forms.ValidationError("附件只能是 PDF、JPG、PNG 或 DOCX 文件（按文件内容检查）。")
    content_type, suffixes = TYPES[kind]
    if PurePath(file.name).suffix.lower() not in suffixes:
        raise forms.ValidationError(
            f"附件内容是 {kind.upper()}，但文件扩展名不符，请改为 {suffixes[0]} 后重新上传。"
        )
    return content_type
