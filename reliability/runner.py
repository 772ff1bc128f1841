"""Run the sections in order, print their table, exit 1 if any invariant failed."""

import argparse
import time
import traceback

from reliability import postgres
from reliability.environment import build, check_prerequisites
from reliability.report import Outcome, summary, table
from reliability.sections import SECTIONS
from reliability.system import CLEANUP, sweep


def say(text: str) -> None:
    print(text, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument(
        "sections",
        nargs="*",
        metavar="SECTION",
        help=f"run only these ({', '.join(SECTIONS)}); all by default",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"no section {', '.join(unknown)}; there are {', '.join(SECTIONS)}")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    chosen = args.sections or list(SECTIONS)
    started = time.monotonic()
    check_prerequisites()
    CLEANUP.install()
    for leftover in sweep(postgres.drop, postgres.cluster_names):
        say(f"removed what an earlier run left: {leftover}")
    results: list[tuple[str, Outcome]] = []
    try:
        env = build(say)
        for name in chosen:
            section = SECTIONS[name]
            say(f"{section.TITLE} …")
            results.append((section.TITLE, run_section(section, env)))
    finally:
        say("cleaning up …")
        CLEANUP.run()
    seconds = time.monotonic() - started
    for line in table(results):
        print(line)
    print()
    print(summary(results, seconds))
    return 1 if any(outcome.failed for _, outcome in results) else 0


def run_section(section, env) -> Outcome:
    """A section that raises fails one invariant instead of stopping the others."""
    started = time.monotonic()
    try:
        outcome = section.run(env)
    except Exception as error:
        traceback.print_exc()
        outcome = Outcome()
        first_line = (str(error).splitlines() or [""])[0][:120]
        outcome.check(f"section ran to the end ({type(error).__name__}: {first_line})", False)
    outcome.figure("section seconds", round(time.monotonic() - started, 1))
    return outcome
