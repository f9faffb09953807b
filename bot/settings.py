"""Runtime configuration from environment variables (prefix VAGVISAREN_); defaults work locally."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Ports, URLs and paths shared by the gateway, the action server and the stack runner."""

    model_config = SettingsConfigDict(env_prefix="VAGVISAREN_")

    host: str = "127.0.0.1"
    gateway_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    # Token for Rasa's HTTP API (tracker, status); Rasa only listens on loopback.
    rasa_token: str = "vagvisaren-local"
    rasa_timeout_s: float = 8.0
    var_dir: Path = ROOT / "var"
    default_language: str = "sv"
    max_message_chars: int = 1000


@lru_cache
def get_settings() -> Settings:
    """Settings are read once per process."""
    return Settings()
