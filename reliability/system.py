"""Running commands and long-lived processes, and undoing whatever a run started.

Every cluster, process and directory a run creates is pushed onto CLEANUP the moment it
exists, and CLEANUP runs in the runner's `finally`, at exit and on SIGTERM/SIGHUP. A run
killed with SIGKILL cannot clean up after itself; the next run sweeps what it left behind
(see `sweep`), which is why every name a run uses carries its process id.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

PREFIX = "partybuild-reliability-"


class CommandFailed(Exception):
    pass


def as_postgres() -> dict[str, str]:
    """subprocess arguments that run a command as the clusters' owner: PostgreSQL's tools
    refuse to run as root, and their files must belong to postgres."""
    return {"user": "postgres"} if os.geteuid() == 0 else {}


def run(command: Sequence[str], *, timeout: float = 300, **options: object) -> str:
    """Run `command` to completion; its stdout, or CommandFailed with its output."""
    result = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **options,  # type: ignore[arg-type]
    )
    if result.returncode != 0:
        raise CommandFailed(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(ready: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


@dataclass
class Process:
    """A long-lived child in a process group of its own, so that stopping it also stops the
    children it forks (gunicorn's workers)."""

    popen: subprocess.Popen
    name: str
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 10) -> None:
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=grace)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Cleanup:
    """Undo steps, run last-in first-out, each at most once, each guarded so that one failing
    does not keep the others from running."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], None]]] = []
        self.workdir: Path | None = None

    def push(self, what: str, undo: Callable[[], None]) -> None:
        self._steps.append((what, undo))

    def run(self) -> None:
        self._undo_to(0)

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Undo, on leaving the block, what was pushed inside it: a section's own clusters
        and servers do not outlive the section."""
        mark = len(self._steps)
        try:
            yield
        finally:
            self._undo_to(mark)

    def _undo_to(self, mark: int) -> None:
        while len(self._steps) > mark:
            what, undo = self._steps.pop()
            try:
                undo()
            except Exception as error:
                print(f"cleanup: {what} failed: {error}", file=sys.stderr)

    def install(self) -> None:
        atexit.register(self.run)
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _exit_on_signal)

    def make_workdir(self) -> Path:
        """The run's temporary directory, readable by postgres (PgBouncer's ini lives here)."""
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.workdir.chmod(0o755)
        self.push(f"remove {self.workdir}", lambda: shutil.rmtree(self.workdir, True))
        return self.workdir

    def remember(self, kind: str, value: object) -> None:
        """Note a resource in the workdir's ledger, for `sweep` should this run be killed."""
        if self.workdir is None:
            return
        ledger = self.workdir / "ledger.json"
        entries = json.loads(ledger.read_text()) if ledger.exists() else []
        entries.append([kind, value])
        ledger.write_text(json.dumps(entries))

    def start(
        self,
        command: Sequence[str],
        *,
        name: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Process:
        assert self.workdir is not None, "make_workdir first"
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(popen, name, log)
        self.remember("process", [popen.pid, Path(command[0]).name])
        self.push(f"stop {name}", process.stop)
        return process


def _exit_on_signal(number: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through every `finally`, which is where the clusters are dropped.
    raise SystemExit(128 + number)


CLEANUP = Cleanup()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(drop_cluster: Callable[[str], None], clusters: Callable[[], list[str]]) -> list[str]:
    """Remove what runs that died without cleaning up left: their process groups, clusters
    and directories. Only names carrying a dead run's pid are touched."""
    swept: list[str] = []
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = _pid_in(directory.name.removeprefix(PREFIX))
        if pid is None or _alive(pid):
            continue
        ledger = directory / "ledger.json"
        entries = json.loads(ledger.read_text()) if ledger.exists() else []
        for kind, value in reversed(entries):
            if kind == "process":
                swept += _kill_stale(*value)
        shutil.rmtree(directory, ignore_errors=True)
        swept.append(str(directory))
    for name in clusters():
        pid = (
            _pid_in(name.removeprefix(CLUSTER_PREFIX)) if name.startswith(CLUSTER_PREFIX) else None
        )
        if pid is not None and not _alive(pid):
            drop_cluster(name)
            swept.append(f"cluster {name}")
    return swept


CLUSTER_PREFIX = "reliability_"


def _pid_in(rest: str) -> int | None:
    head = rest.replace("_", "-").split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _kill_stale(pid: int, program: str) -> list[str]:
    """Kill a dead run's process group, if its leader is still the program it started (a
    recycled pid belongs to someone else)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return []
    if program not in command:
        return []
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return []
    return [f"{program} (pid {pid})"]
