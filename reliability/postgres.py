"""Throwaway PostgreSQL clusters (Debian's pg_createcluster) on free ports.

The server on 5432 is shared and must never restart; every cluster here is created by this
run, named reliability_<pid>_<role>, and dropped when the run ends.
"""

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from reliability.system import (
    CLEANUP,
    CLUSTER_PREFIX,
    CommandFailed,
    as_postgres,
    free_port,
    run,
    wait_for,
)

VERSION = "15"
BIN = Path(f"/usr/lib/postgresql/{VERSION}/bin")
# Small and loopback-only; pg_stat_statements lets a section see which server ran a query.
# Unquoted: pg_createcluster quotes what needs it, except an address that looks like a number.
SETTINGS = {
    "listen_addresses": "localhost",
    "shared_buffers": "32MB",
    "max_connections": "60",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "log_min_messages": "warning",
}


@dataclass
class Cluster:
    name: str
    port: int

    @property
    def data_dir(self) -> Path:
        return data_dir(self.name)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )
        connection.autocommit = True
        return connection

    def query(self, sql: str, params: tuple = (), database: str = "postgres") -> list[tuple]:
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def value(self, sql: str, params: tuple = (), database: str = "postgres") -> object:
        return self.query(sql, params, database)[0][0]

    def ready(self) -> bool:
        try:
            self.query("SELECT 1")
        except psycopg2.OperationalError:
            return False
        return True

    def ctl(self, *action: str) -> None:
        # --skip-systemctl-redirect: these clusters are no systemd units, start them directly.
        run(["pg_ctlcluster", "--skip-systemctl-redirect", VERSION, self.name, *action])

    def start(self) -> None:
        self.ctl("start")
        wait_for(self.ready, timeout=30, what=f"cluster {self.name}")

    def restart(self, mode: str = "fast") -> float:
        """Restart the server; the seconds pg_ctlcluster took (shutdown and start)."""
        started = time.monotonic()
        self.ctl("restart", "-m", mode)
        return time.monotonic() - started

    def drop(self) -> None:
        drop(self.name)


def data_dir(name: str) -> Path:
    return Path(f"/var/lib/postgresql/{VERSION}/{name}")


def conf_dir(name: str) -> Path:
    return Path(f"/etc/postgresql/{VERSION}/{name}")


def cluster_names() -> list[str]:
    """Every cluster pg_lsclusters knows, and our directories it no longer lists (a run
    killed while pg_basebackup rewrote a data directory leaves such)."""
    output = run(["pg_lsclusters", "--no-header"])
    listed = [line.split()[1] for line in output.splitlines() if line.split()[:1] == [VERSION]]
    ours = [
        path.name
        for parent in (conf_dir(""), data_dir(""))
        if parent.is_dir()
        for path in parent.iterdir()
        if path.name.startswith(CLUSTER_PREFIX)
    ]
    return sorted({*listed, *ours})


def drop(name: str) -> None:
    """Stop and remove one of this module's clusters, whatever state it was left in."""
    assert name.startswith(CLUSTER_PREFIX), f"not a cluster of ours: {name}"
    listed = run(["pg_lsclusters", "--no-header"]).split()
    if name in listed:
        try:
            run(["pg_dropcluster", "--stop", VERSION, name])
        except CommandFailed:
            # A data directory emptied halfway: stop what may run, then remove by hand.
            subprocess.run(
                [
                    "pg_ctlcluster",
                    "--skip-systemctl-redirect",
                    VERSION,
                    name,
                    "stop",
                    "-m",
                    "immediate",
                ],
                capture_output=True,
                check=False,
            )
    for path in (conf_dir(name), data_dir(name)):
        shutil.rmtree(path, ignore_errors=True)
    Path(f"/var/log/postgresql/postgresql-{VERSION}-{name}.log").unlink(missing_ok=True)


def create(role: str, settings: dict[str, str] | None = None) -> Cluster:
    """A new, stopped cluster with trust authentication on 127.0.0.1 (nothing else can reach
    it), registered for dropping before anything else can fail."""
    cluster = Cluster(f"{CLUSTER_PREFIX}{os.getpid()}_{role}", free_port())
    CLEANUP.remember("cluster", cluster.name)
    CLEANUP.push(f"drop cluster {cluster.name}", cluster.drop)
    # Settings through -o, which pg_createcluster writes into its own postgresql.conf: a file
    # of ours in the cluster's directory would survive pg_dropcluster.
    options = [
        f"--pgoption={key}={value}" for key, value in {**SETTINGS, **(settings or {})}.items()
    ]
    run(
        [
            "pg_createcluster",
            "--start-conf=manual",
            f"--port={cluster.port}",
            *options,
            VERSION,
            cluster.name,
            "--",
            "--auth-host=trust",
            "--auth-local=trust",
        ]
    )
    return cluster


def create_primary() -> Cluster:
    cluster = create("primary")
    cluster.start()
    return cluster


def create_replica(primary: Cluster) -> Cluster:
    """A streaming replica of `primary`: its data directory replaced by a base backup whose
    -R wrote standby.signal and primary_conninfo."""
    replica = create("replica")
    # Emptied, not removed: its parent may belong to root, where postgres cannot create it.
    for entry in replica.data_dir.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    run(
        [
            str(BIN / "pg_basebackup"),
            "--host=127.0.0.1",
            f"--port={primary.port}",
            "--username=postgres",
            f"--pgdata={replica.data_dir}",
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
        ],
        **as_postgres(),
    )
    replica.start()
    return replica


def create_database(cluster: Cluster, name: str) -> None:
    cluster.query(f'CREATE DATABASE "{name}"')


def replication_lag(primary: Cluster, replica: Cluster) -> tuple[int, float]:
    """(bytes of WAL the replica has not replayed, seconds behind). Seconds are 0 once it has
    replayed everything: the time since the last replayed commit only says the primary was
    idle."""
    current = primary.value("SELECT pg_current_wal_lsn()::text")
    behind, replayed_at = replica.query(
        "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()),"
        " extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
        (current,),
    )[0]
    behind = max(0, int(behind))
    return behind, (float(replayed_at or 0) if behind else 0.0)


def wait_replayed(primary: Cluster, replica: Cluster, timeout: float = 30) -> None:
    wait_for(lambda: replication_lag(primary, replica)[0] == 0, timeout=timeout, what="replay")


def wait_received(primary: Cluster, replica: Cluster, timeout: float = 30) -> None:
    """Until the replica has received (not necessarily replayed) the primary's WAL so far."""
    target = primary.value("SELECT pg_current_wal_lsn()::text")
    wait_for(
        lambda: bool(
            replica.value(
                "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), %s::pg_lsn) >= 0", (target,)
            )
        ),
        timeout=timeout,
        what="WAL receipt",
    )
