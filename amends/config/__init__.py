"""Configuration: a TOML file loaded once into typed, validated settings."""

from amends.config.load import config_path, inspect_config, load_config
from amends.config.schema import Config

__all__ = ["Config", "config_path", "inspect_config", "load_config"]
