"""make reliability's input probe, fast: a short corpus through every form the pages of the
permission matrix show and through the grid's JSON save (the full corpus runs on PostgreSQL
with production settings in `make reliability`)."""

from reliability.probes import input as input_probe

from . import test_permissions as matrix
from .test_permissions import CASES, ROLES

# The permission matrix's zones, built once for the module (its fixtures, shared here).
module_media, module_zone, private_media, zone = (
    matrix.module_media,
    matrix.module_zone,
    matrix.private_media,
    matrix.zone,
)


def test_no_malformed_value_gets_a_500_or_half_saves_or_is_taken(zone):
    tally = input_probe.probe(CASES, zone, ROLES, fast=True)

    print(tally.as_json())
    assert tally.counts["forms"] >= 15
    assert tally.counts["refused with a message"] > 0
    assert tally.findings == []
