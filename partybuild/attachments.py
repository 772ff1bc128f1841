"""Evidence files (整改报告, work records): accepted by what they are, not by what they are
called, and stored as what they claim to be.

- PDF: parsed (pypdf); refused if it cannot be read or carries active content (JavaScript,
  launch actions, embedded files, forms that submit, rich media, actions run on opening);
  stored without whatever follows its last end-of-file marker.
- JPEG and PNG: decoded in full (Pillow) and re-encoded, which drops whatever rides after or
  inside the image (an HTML tail, EXIF with the phone's location) and turns the picture the
  way the phone meant it.
- DOCX: an Office Open XML word document, without macros, whose archive inflates to a bounded
  size.
"""

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath
from typing import Any

from defusedxml import ElementTree
from django import forms
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .xlsx import has_macros

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo decodes to less; a pixel bomb does not
MAX_DOCX_INFLATED = 60 * 1024 * 1024
MAX_DOCX_ENTRIES = 2000
MAX_RATIO = 200
MAX_PDF_OBJECTS = 100_000
MAX_NAME = 200
ALLOWED = "附件只能是 PDF、JPG、PNG 或 DOCX 文件（按文件内容检查）。"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "docx": (DOCX, (".docx",)),
}
# PDF keys that run something: scripts, programs, other files, form submissions, media.
ACTIVE = {
    "/JavaScript",
    "/JS",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
    "/XFA",
    "/SubmitForm",
    "/ImportData",
    "/AA",
}


@dataclass(frozen=True)
class Accepted:
    """What is stored: the clean content, its type and a name that keeps its extension."""

    name: str
    content_type: str
    data: bytes

    def as_file(self) -> ContentFile:
        file = ContentFile(self.data, name=self.name)
        file.content_type = self.content_type  # type: ignore[attr-defined]
        return file


def refused(message: str) -> forms.ValidationError:
    return forms.ValidationError(message, code="attachment")


def kind_of(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    return None


def safe_name(name: str, suffix: str) -> str:
    """The file's own name without folders or control characters, at most MAX_NAME long
    with its extension kept."""
    stem = PurePath(name.replace("\\", "/")).name
    stem = "".join(ch for ch in stem if ch.isprintable()).strip() or "附件"
    stem = stem[: -len(PurePath(stem).suffix)] if PurePath(stem).suffix else stem
    return stem[: MAX_NAME - len(suffix)] + suffix


def accept(file: Any) -> Accepted:
    """The clean content of an uploaded file, or ValidationError saying why not, in Chinese."""
    if file.size > MAX_BYTES:
        raise refused("附件不能超过 10 MB。")
    file.seek(0)
    data = file.read()
    kind = kind_of(data[:16])
    if kind is None:
        raise refused(ALLOWED)
    content_type, suffixes = TYPES[kind]
    suffix = PurePath(file.name or "").suffix.lower()
    if suffix not in suffixes:
        raise refused(
            f"附件内容是 {kind.upper()}，但文件扩展名不符，请改为 {suffixes[0]} 后重新上传。"
        )
    clean = {"pdf": _pdf, "jpeg": _image, "png": _image, "docx": _docx}[kind](data)
    return Accepted(name=safe_name(file.name, suffix), content_type=content_type, data=clean)


def _pdf(data: bytes) -> bytes:
    if b"%%EOF" not in data[-1024:]:
        raise refused(ALLOWED)
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if len(reader.pages) < 1:
            raise refused("PDF 文件没有页面。")
        if reader.is_encrypted:
            raise refused("PDF 文件设置了密码，请去除密码后再上传。")
        active = _active_content(reader.trailer)
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError, OSError):
        raise refused("PDF 文件已损坏或不是真正的 PDF，请重新导出后上传。") from None
    if active:
        raise refused(f"PDF 文件含有可执行的内容（{active}），已拒绝；请打印为 PDF 后重新上传。")
    # What rides after the last end-of-file marker is no part of the document (a zip there
    # makes the file a zip as well): it is not stored.
    return data[: data.rindex(b"%%EOF") + len(b"%%EOF")] + b"\n"


def _active_content(root: Any) -> str | None:
    """The first key of active content found walking the document's objects, or None."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_PDF_OBJECTS:
                raise ValueError("too many objects")
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in ACTIVE:
                    return str(name)
                if name == "/OpenAction" and _runs_something(value):
                    return "/OpenAction"
                if name == "/S" and value in (NameObject("/JavaScript"), NameObject("/Launch")):
                    return str(value)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def _runs_something(action: Any) -> bool:
    """An action on opening is fine when it only shows a page (a destination, or GoTo)."""
    action = action.get_object() if isinstance(action, IndirectObject) else action
    if isinstance(action, ArrayObject):
        return False
    return not (isinstance(action, DictionaryObject) and action.get("/S") == "/GoTo")


def _image(data: bytes) -> bytes:
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise refused(ALLOWED)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise refused("图片像素过大，请缩小后再上传。")
            image.load()  # decodes every pixel: a truncated or disguised file fails here
            upright = ImageOps.exif_transpose(image)
            out = BytesIO()
            if image.format == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
            else:
                upright.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused("图片文件已损坏或不是真正的 JPG/PNG 图片。") from None


def _docx(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
            names = [e.filename for e in entries]
            if (
                len(entries) > MAX_DOCX_ENTRIES
                or sum(e.file_size for e in entries) > MAX_DOCX_INFLATED
            ):
                raise refused("DOCX 文件解压后过大，已拒绝。")
            for entry in entries:
                if entry.file_size > MAX_RATIO * max(entry.compress_size, 1) > 1_000_000:
                    raise refused("DOCX 文件压缩比异常，已拒绝。")
            if not {"[Content_Types].xml", "word/document.xml"} <= set(names) or has_macros(names):
                raise refused(ALLOWED)
            types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
            ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, OSError):
        raise refused(ALLOWED) from None
    declared = {el.get("ContentType", "") for el in types.iter() if el.get("ContentType")}
    if any("macroEnabled" in t for t in declared):
        raise refused(ALLOWED)
    return data
