"""make reliability's files probe, fast: the hostile uploads that are quick to make through
the month template's import and a rectification's attachment (the bombs and huge files run
in `make reliability`)."""

from reliability.probes import files

from . import test_permissions as matrix

# The permission matrix's zones, built once for the module (its fixtures, shared here).
module_media, module_zone, private_media, zone = (
    matrix.module_media,
    matrix.module_zone,
    matrix.private_media,
    matrix.zone,
)


def test_no_hostile_upload_is_taken_gets_a_500_or_writes_a_row(zone):
    tally = files.probe(zone, fast=True)

    counts = tally.counts
    assert counts["tried"] >= 35
    assert counts["refused"] + counts["stored clean, the rider dropped"] == counts["tried"]
    assert counts["stored clean, the rider dropped"] == 3  # an HTML tail, EXIF, a zip after a PDF
    assert tally.findings == []
