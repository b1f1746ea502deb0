"""Configuration: the only room that reads YAML or touches OmegaConf and Hydra's config store.

Schemas (:mod:`.schemas`), meaning checks (:mod:`.validation`), loading into frozen model
objects (:mod:`.loading`), changes to a scenario (:mod:`.changes`), durations with units
(:mod:`.durations`), config files and the one YAML reader (:mod:`.files`) and override values
(:mod:`.overrides`). Everything a caller needs is importable from ``journeysim.config``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "apply_changes": "journeysim.config.changes",
    "composition_error": "journeysim.config.composition",
    "config_dir": "journeysim.config.files",
    "config_hash": "journeysim.config.changes",
    "leaves": "journeysim.config.changes",
    "value_at": "journeysim.config.changes",
    "default_run_node": "journeysim.config.files",
    "duration_days": "journeysim.config.durations",
    "experiment_names": "journeysim.config.files",
    "format_duration": "journeysim.config.durations",
    "hydra_value": "journeysim.config.overrides",
    "load_config": "journeysim.config.loading",
    "load_scenario": "journeysim.config.loading",
    "named_configs": "journeysim.config.files",
    "output_settings_from_dict": "journeysim.config.loading",
    "parse_duration": "journeysim.config.durations",
    "plain_container": "journeysim.config.loading",
    "plain_data": "journeysim.config.changes",
    "read_experiment_file": "journeysim.config.files",
    "read_mapping": "journeysim.config.files",
    "read_yaml": "journeysim.config.files",
    "unsafe_config_files": "journeysim.config.files",
    "unknown_name": "journeysim.config.names",
    "register_resolvers": "journeysim.config.resolvers",
    "register_schemas": "journeysim.config.schemas",
    "run_settings_from_dict": "journeysim.config.loading",
    "scenario_from_dict": "journeysim.config.loading",
    "SCHEMAS": "journeysim.config.schemas",
    "with_changes": "journeysim.config.loading",
}

if TYPE_CHECKING:
    from journeysim.config.changes import (
        apply_changes,
        config_hash,
        leaves,
        plain_data,
        value_at,
    )
    from journeysim.config.composition import composition_error
    from journeysim.config.durations import (
        duration_days,
        format_duration,
        parse_duration,
    )
    from journeysim.config.files import (
        config_dir,
        default_run_node,
        experiment_names,
        named_configs,
        read_experiment_file,
        read_mapping,
        read_yaml,
        unsafe_config_files,
    )
    from journeysim.config.loading import (
        load_config,
        load_scenario,
        output_settings_from_dict,
        plain_container,
        run_settings_from_dict,
        scenario_from_dict,
        with_changes,
    )
    from journeysim.config.names import unknown_name
    from journeysim.config.overrides import hydra_value
    from journeysim.config.resolvers import register_resolvers
    from journeysim.config.schemas import SCHEMAS, register_schemas

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
