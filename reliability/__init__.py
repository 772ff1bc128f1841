"""make reliability: the app under faults and at scale, on throwaway PostgreSQL clusters.

`python -m reliability` builds one environment (a primary cluster on a free port, the app
migrated and seeded, gunicorn with production settings), runs each section against it, prints
every section's figures and invariants, and exits 1 if any invariant failed. A section is a
module in `reliability.sections` with a TITLE and `run(env) -> Outcome` (see report.py).
"""
