"""One resolver for every setting, with the precedence in one place.

A setting comes from, in order: the command-line option, the environment, the network's table in
the config file, the config file's top level, the stored login, the default. Commands and
``session.open_session`` resolve through it, so the order cannot drift between them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mightycli import config
from mightycli.environment import Env
from mightycli.errors import UsageError


class Setting:
    """A setting's name in the config file, its environment variable (if any) and default.
    (A plain class, as Settings below: a named tuple costs more to define.)"""

    __slots__ = ("name", "env", "default")

    def __init__(self, name: str, env: Env | None, default: Any = None) -> None:
        self.name = name
        self.env = env
        self.default = default


NETWORK = Setting("network", Env.NETWORK)
CLIENT_ID = Setting("client_id", Env.CLIENT_ID)
SCOPES = Setting("scopes", Env.SCOPES)
REDIRECT_URI = Setting("redirect_uri", Env.REDIRECT_URI, config.DEFAULT_REDIRECT_URI)
ISSUER = Setting("issuer", Env.ISSUER)
API_URL = Setting("api_url", Env.API_URL, config.DEFAULT_API_URL)
TIMEOUT = Setting("timeout", None, config.DEFAULT_LOGIN_TIMEOUT)
STORAGE = Setting("storage", Env.STORAGE, "keyring")


def _given(value: Any) -> bool:
    return value not in (None, "", (), [])


def _checked_flag(setting: Setting, flag: Any) -> Any:
    """An option as given: an empty one is a mistake (``-n ''`` once logged in to the default
    network without a word), and text must be UTF-8."""
    option = "--" + setting.name.replace("_", "-")
    if isinstance(flag, str) and not flag.strip():
        where = "the default login" if setting is NETWORK else "the default"
        also = f" ({setting.env}, the config file or {where})" if setting.env else ""
        raise UsageError(
            f"{option} is empty.", hint=f"Give {option} a value, or leave it out{also}."
        )
    for text in flag if isinstance(flag, (list, tuple)) else [flag]:
        if isinstance(text, str):
            config.check_text(text, f"{option} value")
    return flag


class Settings:
    """The environment and the config file, read once per command. (Plain classes here and
    above: these are made on the start-up path of every command, where defining a dataclass
    costs more than resolving the settings.)"""

    __slots__ = ("env", "file")

    def __init__(
        self, env: Mapping[str, str] | None = None, file: config.FileConfig | None = None
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.file = config.FileConfig() if file is None else file

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(env, config.load_file_config(config.config_file_name(env)))

    def environ(self, name: Env) -> str | None:
        """An environment variable's value; empty counts as unset."""
        return self.env.get(name) or None

    def resolve(
        self,
        setting: Setting,
        flag: Any = None,
        *,
        network: str | None = None,
        stored: Any = None,
        default: bool = True,
    ) -> Any:
        """The flag, the environment, the config file (the network's table, then the top
        level), the stored login, then (unless ``default`` is false) the setting's default."""
        if flag is not None:
            _checked_flag(setting, flag)
        if _given(flag):
            return flag
        if setting.env is not None and self.environ(setting.env):
            return config.check_text(self.env[setting.env], f"{setting.env} value")
        for value in (self.file.lookup(setting.name, network), stored):
            if _given(value):
                return value
        return setting.default if default else None

    def text(self, setting: Setting, flag: str | None = None, **kwargs: Any) -> str | None:
        """``resolve`` as text (config file values may be numbers or lists)."""
        value = self.resolve(setting, flag, **kwargs)
        return None if value is None else str(value)

    def network(self, flag: str | None, default_login: str | None) -> str | None:
        """Which login a command means, as a key: option, MIGHTY_NETWORK, the config file's
        top level, else the default login."""
        value = self.resolve(NETWORK, flag, default=False)
        return config.parse_network(str(value)).key if value else default_login
