"""Command-line entry point ``journeysim``: a thin Hydra wrapper around :func:`journeysim.job.run_job`.

Invalid configurations print one message per problem (naming the config path and value)
and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from journeysim.config import config_dir, load_config
from journeysim.errors import ConfigError

EXIT_INVALID_CONFIG = 2


def report_config_error(error: ConfigError) -> None:
    print(f"journeysim: invalid configuration\n{error.render()}", file=sys.stderr)


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def _main(cfg: DictConfig) -> None:
    from journeysim.job import run_job

    try:
        scenario, settings = load_config(cfg)
    except ConfigError as error:
        report_config_error(error)
        sys.exit(EXIT_INVALID_CONFIG)
    folder = HydraConfig.get().runtime.output_dir
    output = cfg.get("output", {})
    job = run_job(scenario, settings, folder, write_events=bool(output.get("events", True)), figures=bool(output.get("figures", True)))
    print(job.summary)
    print(f"Results written to {job.folder}")


def main() -> None:
    _main()


if __name__ == "__main__":
    main()
