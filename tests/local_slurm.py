"""A real single-node Slurm cluster on localhost for tests: munged, slurmctld and slurmd from Debian's packages.

Everything lives in one temporary folder (a generated munge key, ``slurm.conf``, state, spool, logs); the daemons
listen on free ports and run in the foreground as children of the test, so :meth:`LocalSlurm.stop` ends exactly
them (after cancelling every job and waiting for its steps to end). Clients find the cluster through
``SLURM_CONF`` in :attr:`LocalSlurm.env`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

from debian import ensure

PACKAGES = ("slurm-wlm", "munge")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def _steps() -> set[int]:
    """Pids of every slurmstepd on the machine (a job's step manager)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "slurmstepd":
                    pids.add(int(entry.name))
            except OSError:
                pass
    return pids


class LocalSlurm:
    """munged + slurmctld + slurmd on localhost, configured under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.daemons: list[subprocess.Popen] = []
        self.steps_before: set[int] = set()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        self.env["SLURM_CONF"] = str(root / "slurm.conf")

    def log(self, name: str) -> str:
        """The tail of a daemon's log (for failure messages)."""
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def _configure(self, slurmd: str) -> None:
        root = self.root
        for folder in ("state", "spool", "munge"):
            (root / folder).mkdir(mode=0o700)
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        node = subprocess.run([slurmd, "-C"], capture_output=True, text=True, check=True).stdout
        cpus = int(re.search(r"\bCPUs=(\d+)", node)[1])
        memory = int(re.search(r"\bRealMemory=(\d+)", node)[1])
        (root / "slurm.conf").write_text(f"""\
ClusterName=opsgrade-test
SlurmctldHost=localhost
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.sock
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=5
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")

    def start(self) -> LocalSlurm:
        """Install the packages when missing, then start munged, slurmctld and slurmd and wait for the node."""
        munged = ensure(("munged",), PACKAGES)
        slurmctld, slurmd = ensure(("slurmctld",), PACKAGES), ensure(("slurmd",), PACKAGES)
        self.steps_before = _steps()
        self._configure(slurmd)
        root = self.root
        self._spawn([munged, "--foreground", "--force", f"--socket={root}/munge/munge.sock",
                     f"--key-file={root}/munge/munge.key", f"--pid-file={root}/munge/munged.pid",
                     f"--log-file={root}/munged.log", f"--seed-file={root}/munge/munge.seed"])
        _wait(lambda: (root / "munge" / "munge.sock").exists(), 30, "munged's socket")
        self._spawn([slurmctld, "-D", "-i", "-f", self.env["SLURM_CONF"]])
        self._spawn([slurmd, "-D", "-N", "localhost", "-f", self.env["SLURM_CONF"]])
        try:
            _wait(lambda: re.search(r"\b(idle|mix)\b", self.run("sinfo", "-h", "-o", "%T", check=False).stdout),
                  90, "the node to be idle")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\nslurmctld: {self.log('slurmctld')}\nslurmd: {self.log('slurmd')}") from None
        return self

    def _spawn(self, command: list[str]) -> None:
        self.daemons.append(subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def run(self, *command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run a Slurm client (or any command) against this cluster."""
        env = {**self.env, **kwargs.pop("env", {})}
        return subprocess.run(command, env=env, capture_output=True, text=True, check=check, timeout=120, **kwargs)

    def jobs(self, job: str) -> dict[str, str]:
        """State of a job, or of each task of an array job (key: task id), while slurmctld remembers it."""
        shown = self.run("scontrol", "-o", "show", "job", job, check=False).stdout
        states = {}
        for line in shown.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobState" in fields:
                states[fields.get("ArrayTaskId", fields.get("JobId", ""))] = fields["JobState"]
        return states

    def wait_ended(self, job: str, timeout: float) -> dict[str, str]:
        """Wait until every task of ``job`` has ended; returns their final states."""
        def ended() -> dict[str, str] | None:
            states = self.jobs(job)
            busy = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"}
            return states if states and not set(states.values()) & busy else None

        try:
            return _wait(ended, timeout, f"job {job} to end", interval=1.0)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}: {self.jobs(job)}\nslurmctld: {self.log('slurmctld')}") from None

    def stop(self) -> None:
        """Cancel every job, wait for their steps to end, stop the daemons; leaves no process behind."""
        if self.daemons and self.daemons[1:] and self.daemons[1].poll() is None:
            self.run("scancel", "--full", "--user", str(os.getuid()), check=False)
            try:
                _wait(lambda: not self.run("squeue", "-h", check=False).stdout.strip(), 60, "the queue to empty")
            except TimeoutError:
                pass
        for daemon in reversed(self.daemons):  # slurmd, slurmctld, munged
            if daemon.poll() is None:
                daemon.terminate()
                try:
                    daemon.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
        self.daemons.clear()
        for pid in _steps() - self.steps_before:  # a step manager that outlived its slurmd: ours, end it
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
