"""What the probe sections share: running one of reliability.probes in full, in a process of
its own with production settings on the run's PostgreSQL database (see
reliability/probes/__main__.py), and turning its tally into figures and invariants."""

import json
import sys
import time

from reliability.app import ROOT, production_env
from reliability.environment import Environment
from reliability.report import Outcome
from reliability.system import run


def tally(env: Environment, name: str, *, timeout: float = 420) -> dict:
    started = time.monotonic()
    output = run(
        [sys.executable, "-m", "reliability.probes", name],
        cwd=ROOT,
        env=production_env(env.url),
        timeout=timeout,
    )
    result = json.loads(output.strip().splitlines()[-1])
    result["seconds"] = time.monotonic() - started
    return result


def report(outcome: Outcome, result: dict, figures: list[str], zeros: list[str]) -> Outcome:
    """Figures named in `figures` (0 if absent), then one invariant per count in `zeros`
    that must be 0; every finding of the probe is printed so that a failure says which
    request broke what."""
    counts = result["counts"]
    for name in figures:
        outcome.figure(name, counts.get(name, 0))
    for name in zeros:
        outcome.figure(name, counts.get(name, 0))
    for finding in result["findings"]:
        print(f"  finding: {finding}", flush=True)
    for name in zeros:
        outcome.check(f"{name}: 0", counts.get(name, 0) == 0)
    outcome.check("no finding of any kind", not result["findings"])
    outcome.check("the probe left the database as it found it", result["database unchanged"])
    return outcome
