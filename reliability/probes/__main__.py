"""`python -m reliability.probes access|input|files [--full]`: one probe, in this process, on
the database of DATABASE_URL with the settings of the environment (make reliability runs it
with production settings on its PostgreSQL cluster). Without --full the access and input
probes take the shape of `make test`'s (every URL, role, form and field, a sample of the
foreign ids and of the corpus in each field; the JSON save and the files get their whole
corpus either way); --full sends everything, which takes several times as long. The permission matrix's zones are built
inside a transaction that is rolled back at the end, so the database is left as it was.
Prints the tally as JSON."""

import json
import os
import sys
import tempfile

import django


def main(name: str, *, full: bool) -> dict[str, object]:
    from django.test.utils import override_settings, setup_test_environment

    from reliability.probes import access, checksum, files
    from reliability.probes import input as input_probe
    from tests.test_permissions import CASES, ROLES, build_matrix_zones, rolled_back_everywhere

    # The test client's host (testserver) allowed, outgoing mail kept in memory; nothing else
    # of the settings changes.
    setup_test_environment()
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(
            MEDIA_ROOT=media,
            # The matrix's accounts are made with a fast hash: hashing is not probed.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        rolled_back_everywhere(),
    ):
        before = checksum()
        zone = build_matrix_zones()
        if name == "access":
            tally = access.probe(CASES, zone, ROLES, fast=not full)
        elif name == "input":
            tally = input_probe.probe(CASES, zone, ROLES, fast=not full)
        else:
            tally = files.probe(zone)
    result = tally.as_json()
    result["database unchanged"] = checksum() == before
    return result


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    django.setup()
    result = main(sys.argv[1], full="--full" in sys.argv[2:])
    # The last line is the tally, whatever else was printed before it.
    print("\n" + json.dumps(result, ensure_ascii=False))
