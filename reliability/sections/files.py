"""Files: hostile uploads through the month template's import and a rectification's
attachment. See reliability/probes/files.py."""

from reliability.environment import Environment
from reliability.probes.files import MAX_PEAK_BYTES, MB
from reliability.report import Outcome
from reliability.sections.probing import report, tally

TITLE = "Files: hostile uploads through both upload paths"


def run(env: Environment) -> Outcome:
    result = tally(env, "files")
    outcome = Outcome()
    report(
        outcome,
        result,
        [
            "tried",
            "refused",
            "stored clean, the rider dropped",
            "peak MB of one upload",
            "process peak MB (ru_maxrss)",
        ],
        ["5xx", "accepted", "rows written", "memory"],
    )
    outcome.check(
        f"each upload's peak under {MAX_PEAK_BYTES // MB} MB",
        result["counts"].get("peak MB of one upload", 0) * MB <= MAX_PEAK_BYTES,
    )
    return outcome
