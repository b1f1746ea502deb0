"""Command-line entry point ``journeysim``: a thin Hydra wrapper around the jobs.

``journeysim`` runs :func:`journeysim.job.run_job`; ``journeysim experiment=NAME`` runs the
current-vs-future comparison :func:`journeysim.experiment_job.run_experiment_job`.
Invalid configurations print one message per problem (naming the config path and value)
and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from journeysim.config import config_dir, load_config
from journeysim.errors import ConfigError

EXIT_INVALID_CONFIG = 2


def report_config_error(error: ConfigError) -> None:
    print(f"journeysim: invalid configuration\n{error.render()}", file=sys.stderr)


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def _main(cfg: DictConfig) -> None:
    from journeysim.experiment_job import experiment_from_dict, run_experiment_job
    from journeysim.job import run_job
    from journeysim.sweep import skip_completed_job

    folder = HydraConfig.get().runtime.output_dir
    if skip_completed_job(cfg, folder):  # output.resume=true and the folder holds this job's complete result
        return
    output = cfg.get("output", {})
    figures = bool(output.get("figures", True))
    try:
        scenario, settings = load_config(cfg)
        if cfg.get("experiment") is None:
            job = run_job(scenario, settings, folder, write_events=bool(output.get("events", True)), figures=figures)
        else:
            experiment = experiment_from_dict(OmegaConf.to_container(cfg.experiment, resolve=True), path="experiment")
            job = run_experiment_job(scenario, settings, experiment, folder, figures=figures)
    except ConfigError as error:
        report_config_error(error)
        sys.exit(EXIT_INVALID_CONFIG)
    print(job.summary)
    print(f"Results written to {job.folder}")


def main() -> None:
    _main()


if __name__ == "__main__":
    main()
