"""The app as a deployment runs it: production settings, hashed static files, gunicorn."""

import os
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from reliability.system import CLEANUP, Process, free_port, run, wait_for

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# One key for every instance of a run, as a deployment shares one; never used elsewhere.
SECRET_KEY = f"reliability-{secrets.token_hex(24)}"


def production_env(
    database_url: str, *, replica_url: str | None = None, pooled: bool = False
) -> dict[str, str]:
    """The environment README's "Production" describes; only HTTPS is off, for plain HTTP on
    loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "partybuild.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
        }
    )
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    if pooled:
        env["DATABASE_TRANSACTION_POOLING"] = "1"
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    return run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, timeout=timeout)


@dataclass
class AppServer:
    base: str
    process: Process

    def stop(self) -> None:
        self.process.stop()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def serve(env: dict[str, str], *, name: str, workers: int = 2) -> AppServer:
    """gunicorn with `workers` sync workers on a free port, once the login page answers."""
    port = free_port()
    process = CLEANUP.start(
        [
            GUNICORN,
            "partybuild.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--access-logfile=-",
            "--graceful-timeout=5",
        ],
        name=name,
        env=env,
        cwd=ROOT,
    )
    server = AppServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(lambda: answers(f"{server.base}/accounts/login/"), timeout=30, what=name)
    except TimeoutError as error:
        raise TimeoutError(f"{error}\n{process.log_tail()}") from None
    return server
