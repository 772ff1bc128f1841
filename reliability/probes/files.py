"""Hostile uploads through both ways a file comes in: the month template's import (the
office) and a rectification's attachment (the secretary).

Every file must be refused with a message naming what is wrong, never answered with a 5xx,
and write no row; memory stays bounded (each upload's peak of Python allocations is
measured with tracemalloc, the process's with ru_maxrss).
"""

import io
import resource
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from pypdf.generic import NameObject, TextStringObject

from reliability.probes import Tally, checksum, client, refusal, rolled_back
from reliability.probes.pages import sign_in
from tests import files as made

MB = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Above this, one upload's memory is out of proportion to the 10 MB a file may have.
MAX_PEAK_BYTES = 256 * MB


@dataclass(frozen=True)
class Upload:
    label: str
    name: str
    make: Callable[[bytes], bytes]  # from the month's real template (for the import)
    # A file that is what it claims with something riding on it may be taken, stored
    # without the rider: these bytes must not be in what is stored.
    rider: bytes | None = None


def zip_with(entries: dict[str, bytes], *, base: bytes | None = None) -> bytes:
    """A zip of `base`'s entries (if any) with `entries` added or replacing them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if base is not None:
            with zipfile.ZipFile(io.BytesIO(base)) as original:
                for info in original.infolist():
                    if info.filename not in entries:
                        archive.writestr(info, original.read(info))
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def bomb(inflated: int) -> bytes:
    """`inflated` bytes of zeros deflated, in 1 MB pieces (a few hundred KB compressed)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * MB
    parts = [packer.compress(chunk) for _ in range(inflated // MB)]
    return b"".join(parts) + packer.flush()


def zip_bomb(name: str, inflated: int, *, base: bytes | None = None) -> bytes:
    """A zip whose entry `name` inflates to `inflated` bytes, written without inflating it."""
    archive = zip_with({}, base=base) if base else zip_with({"[Content_Types].xml": b"<x/>"})
    data = bomb(inflated)
    crc = 0
    zeros = b"\0" * MB
    for _ in range(inflated // MB):
        crc = zlib.crc32(zeros, crc)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as original, zipfile.ZipFile(out, "w") as target:
        for info in original.infolist():
            target.writestr(info, original.read(info))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        # Written raw: header and central directory as a real compressor writes them.
        with target.open(info, "w", force_zip64=True) as entry:
            entry._compressor = None  # type: ignore[attr-defined]
            entry.write(data)
            entry._file_size = inflated  # type: ignore[attr-defined]
            entry._crc = crc  # type: ignore[attr-defined]
            entry._compress_size = len(data)  # type: ignore[attr-defined]
    return out.getvalue()


def with_cell(template: bytes, value: Any, *, row: int = 5, column: int = 3) -> bytes:
    """The template with one points cell set to `value` (a formula if it starts with =)."""
    workbook = load_workbook(io.BytesIO(template))
    workbook.worksheets[0].cell(row, column).value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_error_cell(template: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    cell = workbook.worksheets[0].cell(5, 3)
    cell.value, cell.data_type = "#DIV/0!", "e"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels over a few bytes of data: a pixel
    bomb that only a decoder that trusts the header would allocate for."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
)
XXE_WORKBOOK = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">'
    b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheets><sheet name='&x;&b;' sheetId='1'/></sheets></workbook>"
)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def gps_exif() -> Any:
    """A phone's EXIF block with where the picture was taken."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {2: (31, 45, 0)}
    return exif


def rich(template: bytes) -> bytes:
    return with_cell(template, CellRichText([TextBlock(InlineFont(b=True), "1"), "x"]))


IMPORTS = [
    Upload("formula", "t.xlsx", lambda t: with_cell(t, "=1+1")),
    Upload("HYPERLINK formula", "t.xlsx", lambda t: with_cell(t, '=HYPERLINK("http://x","1")')),
    Upload("formula in the code column", "t.xlsx", lambda t: with_cell(t, "=A1", column=1)),
    Upload("error cell", "t.xlsx", with_error_cell),
    Upload("boolean cell", "t.xlsx", lambda t: with_cell(t, True)),
    Upload("date cell", "t.xlsx", lambda t: with_cell(t, __import__("datetime").date(2025, 3, 1))),
    Upload("rich text cell", "t.xlsx", rich),
    Upload("script in a cell", "t.xlsx", lambda t: with_cell(t, "<script>alert(1)</script>")),
    Upload("macros", "t.xlsx", lambda t: zip_with({"xl/vbaProject.bin": b"VBA"}, base=t)),
    Upload("macros, upper case", "t.xlsx", lambda t: zip_with({"XL/VBAPROJECT.BIN": b"V"}, base=t)),
    Upload("macros, mixed case", "t.xlsx", lambda t: zip_with({"xl/VbaProject.Bin": b"V"}, base=t)),
    Upload(
        "XXE and entity expansion",
        "t.xlsx",
        lambda t: zip_with({"xl/workbook.xml": XXE_WORKBOOK}, base=t),
    ),
    Upload(
        "zip bomb (1 GiB)",
        "t.xlsx",
        lambda t: zip_bomb("xl/worksheets/sheet9.xml", 1024 * MB, base=t),
    ),
    Upload(
        "entry bomb (500 entries)",
        "t.xlsx",
        lambda t: zip_with({f"x/{n}": b"" for n in range(500)}, base=t),
    ),
    Upload("path traversal", "t.xlsx", lambda t: zip_with({"../../evil.sh": b"rm -rf /"}, base=t)),
    Upload(
        "huge file (6 MB)",
        "t.xlsx",
        lambda t: zip_with({"xl/media/big.bin": __import__("os").urandom(6 * MB)}, base=t),
    ),
    Upload("wrong magic: PNG", "t.xlsx", lambda t: made.image_bytes()),
    Upload("wrong magic: HTML", "t.xlsx", lambda t: HTML),
    Upload("not a zip after PK", "t.xlsx", lambda t: b"PK\x03\x04" + b"\0" * 100),
    Upload("truncated", "t.xlsx", lambda t: t[: len(t) // 2]),
    Upload("a DOCX", "t.xlsx", lambda t: made.docx_bytes()),
    Upload("macro-enabled workbook", "t.xlsm", lambda t: t),
    Upload("legacy .xls", "t.xls", lambda t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
    Upload("empty", "t.xlsx", lambda t: b""),
]


def pdf_with_html() -> bytes:
    return b"%PDF-1.4\n" + HTML + b"\n%%EOF"


def pdf_with_uri_open_action() -> bytes:
    from pypdf.generic import DictionaryObject

    action = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("http://x")}
    )
    return made.pdf_bytes(open_action=action)


ATTACHMENTS = [
    Upload("PDF with document JavaScript", "a.pdf", lambda t: made.pdf_bytes(javascript=True)),
    Upload(
        "PDF launching a program",
        "a.pdf",
        lambda t: made.pdf_bytes(open_action=made.launch_action()),
    ),
    Upload("PDF opening a URI", "a.pdf", lambda t: pdf_with_uri_open_action()),
    Upload("%PDF- with an HTML body", "a.pdf", lambda t: pdf_with_html()),
    Upload(
        "PDF with a zip appended",
        "a.pdf",
        lambda t: made.pdf_bytes() + made.docx_bytes(),
        b"PK\x03\x04",
    ),
    Upload("PDF named .html", "a.html", lambda t: made.pdf_bytes()),
    Upload("JPEG header then HTML", "a.jpg", lambda t: b"\xff\xd8\xff\xe0" + HTML),
    Upload("PNG then HTML", "a.png", lambda t: made.image_bytes() + HTML, HTML),
    Upload("JPEG with EXIF", "a.jpg", lambda t: made.image_bytes("JPEG", exif=gps_exif()), b"Exif"),
    Upload("pixel bomb PNG (60000 × 60000)", "a.png", lambda t: png_claiming(60_000, 60_000)),
    Upload("oversized image (8000 × 6000)", "a.png", lambda t: made.image_bytes(size=(8000, 6000))),
    Upload("GIF", "a.png", lambda t: made.image_bytes("GIF")),
    Upload(
        "SVG with script",
        "a.png",
        lambda t: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    Upload(
        "DOCX bomb (1 GiB)",
        "a.docx",
        lambda t: zip_bomb("word/media/x.bin", 1024 * MB, base=made.docx_bytes()),
    ),
    Upload("DOCX with macros", "a.docx", lambda t: made.docx_bytes(["word/vbaProject.bin"])),
    Upload(
        "DOCX with macros, upper case", "a.docx", lambda t: made.docx_bytes(["WORD/VBAPROJECT.BIN"])
    ),
    Upload("DOCX with XXE", "a.docx", lambda t: made.docx_bytes(document=XXE.decode())),
    Upload("DOCX without content types", "a.docx", lambda t: made.docx_bytes(content_types=False)),
    Upload("an xlsx named .docx", "a.docx", lambda t: t),
    Upload("huge file (11 MB)", "a.pdf", lambda t: b"%PDF-1.4\n" + b"0" * 11 * MB + b"\n%%EOF"),
    Upload("Windows program named .pdf", "a.pdf", lambda t: b"MZ\x90\x00" + b"\0" * 1000),
    Upload("HTML named .pdf", "a.pdf", lambda t: HTML),
    Upload("empty", "a.pdf", lambda t: b""),
    Upload("truncated PDF", "a.pdf", lambda t: made.pdf_bytes()[:200]),
    Upload("PDF with a NUL in its name", "a\x00.pdf", lambda t: made.pdf_bytes(javascript=True)),
]


@dataclass
class Path:
    """One way in: the URL, who sends it, the form's other fields, the file field, and what
    it stores (None: nothing to read back)."""

    url: str
    role: str
    fields: dict[str, str]
    field: str
    uploads: list[Upload]
    stored: Callable[[], bytes] | None = None


def returned(task: Any, zone: Any) -> None:
    """The matrix's task sent back to its secretary, so that a new report may be sent: the
    files are judged, not the task's state."""
    from scoring.services.rectifications import review_rectification

    review_rectification(rectification=task, user=zone.staff, accept=False, comment="请补充")


def stored_attachment(task: Any) -> bytes:
    task.refresh_from_db()
    with task.attachment.open("rb") as file:
        return file.read()


def memory_peak(send: Callable[[], Any]) -> tuple[Any, int]:
    """What `send` returns and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        result = send()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def probe(zone: Any, *, fast: bool = False) -> Tally:
    """`fast` leaves out the files that take seconds to make or to refuse (the bombs, the
    huge and the oversized ones)."""
    tally = Tally()
    browser = client()
    sign_in(browser, zone, "staff")
    # 2025 is finalized in the matrix's zone: its imports are refused whatever the file.
    month = {"year": 2026, "month": 3}
    template = browser.get(reverse("scoring:template", kwargs=month))
    assert template.status_code == 200, template.status_code
    month_template = b"".join(template.streaming_content)
    paths = [
        Path(reverse("scoring:import", kwargs=month), "staff", {}, "file", IMPORTS),
        Path(
            reverse("scoring:rectification_submit", kwargs={"pk": zone.task_a1.pk}),
            "secretary",
            {"report": "整改措施"},
            "attachment",
            ATTACHMENTS,
            stored=lambda: stored_attachment(zone.task_a1),
        ),
    ]
    peak = 0
    with rolled_back(browser):
        returned(zone.task_a1, zone)
        for path in paths:
            peak = max(peak, send_all(browser, zone, path, month_template, tally, fast=fast))
    tally.add("peak MB of one upload", round(peak / MB))
    tally.add(
        "process peak MB (ru_maxrss)", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    )
    return tally


def send_all(
    browser: Any, zone: Any, path: Path, template: bytes, tally: Tally, *, fast: bool
) -> int:
    """Every upload of `path`, each rolled back; the largest peak of memory of one."""
    peak = 0
    sign_in(browser, zone, path.role)
    before = checksum()
    for upload in path.uploads:
        if fast and any(w in upload.label for w in ("bomb", "huge", "oversized")):
            continue
        data = upload.make(template)
        what = f"{path.field} {upload.label}"
        file = SimpleUploadedFile(upload.name, data, content_type="application/octet-stream")
        with rolled_back(browser):
            response, used = memory_peak(
                lambda file=file: browser.post(path.url, {**path.fields, path.field: file})
            )
            peak = max(peak, used)
            tally.add("tried")
            if response.status_code >= 500:
                tally.found("5xx", f"{what} → {response.status_code}")
            elif (message := refusal(response)) is not None:
                tally.add("refused")
                tally.told.append((what, message))
                if checksum() != before:
                    tally.found("rows written", what)
            elif upload.rider is None or path.stored is None:
                tally.found("accepted", f"{what} → {response.status_code}")
            elif upload.rider in path.stored():
                tally.found("stored with what rode on it", what)
            else:
                tally.add("stored clean, the rider dropped")
                tally.told.append((what, "stored without what rode on it"))
            if used > MAX_PEAK_BYTES:
                tally.found("memory", f"{what}: {used // MB} MB")
    return peak
