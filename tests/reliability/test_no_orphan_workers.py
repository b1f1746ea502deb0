"""A hard-killed run leaves no worker process behind. (Issue 15: SIGKILL of a run.workers=2
run left its loky workers alive, busy or idle, for minutes.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import journeysim as js
scenario = js.load_scenario(changes={"arrival_rate_per_day": 300})
js.simulate(scenario, seed=1, horizon_days=300, replications=6, progress=False, keep_events=False,
            settings=js.RunSettings(workers=2))
"""


def children_of(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_workers_leave_when_their_owner_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", CHILD])
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline:  # loky's workers (and its resource tracker)
        workers = {pid for pid in children_of(owner.pid) if "loky" in Path(f"/proc/{pid}/cmdline").read_text(errors="ignore")}
        time.sleep(0.2)
    workers = {pid for pid in workers if "popen_loky" in Path(f"/proc/{pid}/cmdline").read_text(errors="ignore")}
    assert len(workers) == 2, "the run did not start its two workers"
    time.sleep(1.0)  # they are busy with replications
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers), "workers outlived their owner"
