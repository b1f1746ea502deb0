"""Progress bars: tqdm's when shown, nothing (and no tqdm import) when not."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import funnel_scenario_data
from tqdm.auto import tqdm

from journeysim.simulation.progress_bars import SilentBar, progress_bar


def test_a_silent_run_never_imports_tqdm():
    code = (
        "import json, sys, journeysim as js\n"
        f"scenario = js.scenario_from_dict(json.loads({json.dumps(json.dumps(funnel_scenario_data()))}))\n"
        "result = js.simulate(scenario, seed=1, horizon_days=20, progress=False)\n"
        "assert len(result.events) > 0\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'tqdm'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_shown_bar_is_tqdms_and_a_silent_one_takes_the_same_calls():
    with progress_bar(disable=False, total=3, file=sys.stderr, leave=False) as bar:
        assert isinstance(bar, tqdm)
        bar.update(2)
        assert bar.n == 2
    with progress_bar(disable=True, total=3, unit=" runs") as silent:
        assert isinstance(silent, SilentBar)
        silent.total += 4  # as a study plans more runs
        silent.update(5)
        silent.refresh()
        assert silent.total == 7
