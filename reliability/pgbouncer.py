"""PgBouncer in transaction mode in front of a cluster, as a plain process with its own ini.

PgBouncer refuses to run as root; as root it is started with `-u postgres`, after which it
can no longer open files of root's, so it logs to the stderr this run opened for it.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from reliability.postgres import Cluster
from reliability.system import CLEANUP, Process, free_port, wait_for

PROGRAM = "/usr/sbin/pgbouncer"


@dataclass
class PgBouncer:
    port: int
    process: Process

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def show(self, what: str) -> list[dict[str, object]]:
        """SHOW POOLS / STATS / CONFIG from the admin console, as dicts."""
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="pgbouncer"
        )
        connection.autocommit = True  # the console accepts no transactions
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW {what}")
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def ready(self) -> bool:
        try:
            self.show("VERSION")
        except psycopg2.OperationalError:
            return False
        return True


def ini(port: int, target: Cluster, workdir: Path, pool_size: int, extra: dict[str, str]) -> str:
    settings = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return f"""\
[databases]
* = host=127.0.0.1 port={target.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "pgbouncer-users.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
{settings}"""


def start(
    target: Cluster, workdir: Path, pool_size: int = 4, settings: dict[str, str] | None = None
) -> PgBouncer:
    """PgBouncer with its defaults but for `settings`; its ini is rewritten each time."""
    port = free_port()
    config = workdir / "pgbouncer.ini"
    (workdir / "pgbouncer-users.txt").write_text('"postgres" ""\n')
    config.write_text(ini(port, target, workdir, pool_size, settings or {}))
    switch = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = CLEANUP.start([PROGRAM, *switch, str(config)], name="pgbouncer")
    bouncer = PgBouncer(port, process)
    wait_for(bouncer.ready, timeout=15, what="pgbouncer")
    return bouncer
