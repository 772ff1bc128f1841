"""Real files of each accepted kind, and hostile ones, made in memory for the tests."""

import io
import zipfile

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def pdf_bytes(*, javascript=False, open_action=None):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if javascript:
        writer.add_js("app.alert('x');")
    if open_action is not None:
        writer._root_object[NameObject("/OpenAction")] = open_action
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def launch_action():
    return DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )


def image_bytes(kind="PNG", size=(40, 30), color=(200, 30, 30), exif=None):
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(out, kind, exif=exif)
    else:
        image.save(out, kind)
    return out.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(extra=None, *, content_types=True, document=f'<w:document xmlns:w="{W}"/>', big=0):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types:
            archive.writestr(
                "[Content_Types].xml",
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            )
        archive.writestr("word/document.xml", document)
        for name in extra or []:
            archive.writestr(name, "x")
        if big:
            archive.writestr("word/media/filler.bin", b"\0" * big)
    return out.getvalue()
