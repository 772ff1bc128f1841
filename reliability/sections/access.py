"""Access: every URL × every role of the permission matrix × GET and POST, then every object
URL with foreign ids (another zone's and another organization's objects, neighbours, ids too
big for the database). See reliability/probes/access.py."""

from reliability.environment import Environment
from reliability.report import Outcome
from reliability.sections.probing import report, tally

TITLE = "Access: URLs × roles × methods, foreign ids"


def run(env: Environment) -> Outcome:
    result = tally(env, "access")
    outcome = Outcome()
    report(
        outcome,
        result,
        [
            "attempts",
            "matrix attempts",
            "foreign-id attempts",
            "refused",
            "object URLs without a scope rule for their kind",
        ],
        [
            "leaks",
            "leaks: a refused request wrote",
            "5xx",
            "answers unlike the matrix",
            "URLs without a matrix row",
        ],
    )
    outcome.check("some attempts refused", result["counts"].get("refused", 0) > 0)
    return outcome
