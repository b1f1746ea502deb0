"""Configuration: the only room that reads YAML or touches OmegaConf and Hydra's config store.

Schemas (:mod:`.schemas`), meaning checks (:mod:`.validation`), loading into frozen model
objects (:mod:`.loading`), changes to a scenario (:mod:`.changes`) and config files
(:mod:`.files`). Everything a caller needs is importable from ``journeysim.config``.
"""

from journeysim.config.changes import apply_changes, config_hash, plain_data
from journeysim.config.files import config_dir, default_run_node, experiment_names, named_configs, read_experiment_file, read_mapping, read_yaml
from journeysim.config.loading import (
    load_config,
    load_scenario,
    output_settings_from_dict,
    plain_container,
    run_settings_from_dict,
    scenario_from_dict,
    with_changes,
)
from journeysim.config.overrides import hydra_value
from journeysim.config.schemas import SCHEMAS, register_schemas

__all__ = [
    "SCHEMAS",
    "apply_changes",
    "config_dir",
    "config_hash",
    "default_run_node",
    "experiment_names",
    "hydra_value",
    "load_config",
    "load_scenario",
    "named_configs",
    "output_settings_from_dict",
    "plain_container",
    "plain_data",
    "read_experiment_file",
    "read_mapping",
    "read_yaml",
    "register_schemas",
    "run_settings_from_dict",
    "scenario_from_dict",
    "with_changes",
]
