"""Input: a corpus of malformed values through every form the pages show (the login form
included) and through the grid's JSON save, with a digest of every table of the project
before and after each request. See reliability/probes/input.py."""

from reliability.environment import Environment
from reliability.report import Outcome
from reliability.sections.probing import report, tally

TITLE = "Input: malformed values through every form and the JSON save"


def run(env: Environment) -> Outcome:
    result = tally(env, "input")
    outcome = Outcome()
    report(
        outcome,
        result,
        [
            "forms",
            "form requests",
            "JSON requests",
            "tried",
            "refused with a message",
            "accepted (valid for that field)",
        ],
        [
            "5xx",
            "rows changed by a refused request",
            "refused without a message",
            "stored a value no field may hold",
        ],
    )
    return outcome
