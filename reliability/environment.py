"""What every section starts from: a primary cluster with the app migrated and seeded, and
one gunicorn serving it with production settings. Sections may add clusters, poolers and
servers of their own; everything goes through CLEANUP."""

import json
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reliability import postgres
from reliability.app import AppServer, manage, production_env, serve
from reliability.postgres import Cluster
from reliability.system import CLEANUP, run

DATABASE = "partybuild"


@dataclass(frozen=True)
class Dataset:
    """What the seed wrote (see reliability/seed.py)."""

    year: int
    organizations: list[dict[str, object]]
    items: list[int]
    staff: list[str]
    password: str
    published_quarter: int

    def org_ids(self) -> list[int]:
        return [int(o["id"]) for o in self.organizations]  # type: ignore[call-overload]


@dataclass
class Environment:
    workdir: Path
    primary: Cluster
    dataset: Dataset
    database: str = DATABASE
    _app: AppServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.primary.url(self.database)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """A statement on the app's database on the primary, as the checks read it: straight
        from the tables, not through the app."""
        return self.primary.query(query, params, self.database)

    def app(self) -> AppServer:
        """The shared gunicorn, connected straight to the primary (no pooler, no replica).
        Started by build(), outside any section's cleanup scope, so that it serves them all."""
        if self._app is None or not self._app.process.alive():
            self._app = serve(production_env(self.url), name="gunicorn")
        return self._app


def check_prerequisites() -> None:
    missing = [
        tool
        for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters")
        if not Path("/usr/bin", tool).exists()
    ]
    missing += [
        p
        for p in ("/usr/sbin/pgbouncer", str(postgres.BIN / "pg_basebackup"))
        if not Path(p).exists()
    ]
    if missing:
        raise SystemExit(
            f"make reliability needs PostgreSQL {postgres.VERSION} and PgBouncer: missing {', '.join(missing)}"
        )


def build(say) -> Environment:
    """Create the primary, migrate the app into it, seed it, collect static files."""
    workdir = CLEANUP.make_workdir()
    say(f"primary cluster (PostgreSQL {postgres.VERSION}) …")
    primary = postgres.create_primary()
    postgres.create_database(primary, DATABASE)
    # Created by the superuser before the app's migrations; replicated, dumped and restored
    # with the database like any other object.
    primary.query("CREATE EXTENSION pg_stat_statements", database=DATABASE)
    env = production_env(primary.url(DATABASE))
    say("migrate, seed, collectstatic, gunicorn …")
    manage(env, "migrate", "--noinput", "-v0")
    password = secrets.token_urlsafe(16)
    facts = json.loads(
        run(
            [sys.executable, "-m", "reliability.seed"],
            cwd=Path(__file__).resolve().parents[1],
            env={**env, "RELIABILITY_PASSWORD": password},
        )
    )
    manage(env, "collectstatic", "--noinput", "-v0")
    environment = Environment(workdir, primary, Dataset(password=password, **facts))
    environment.app()
    return environment
