"""The environment variables mighty reads, by name, in one place."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Env(enum.StrEnum):
    """An environment variable (a ``str``: ``os.environ.get(Env.TOKEN)`` works as it reads)."""

    NETWORK = "MIGHTY_NETWORK"
    CLIENT_ID = "MIGHTY_CLIENT_ID"
    # Never an option argument or a config file entry: a secret stays out of both.
    CLIENT_SECRET = "MIGHTY_CLIENT_SECRET"
    SCOPES = "MIGHTY_SCOPES"
    REDIRECT_URI = "MIGHTY_REDIRECT_URI"
    ISSUER = "MIGHTY_ISSUER"
    API_URL = "MIGHTY_API_URL"
    TOKEN = "MIGHTY_TOKEN"
    STORAGE = "MIGHTY_STORAGE"
    # The secret webhook deliveries present (Authorization: Bearer); never an argument.
    WEBHOOK_SECRET = "MIGHTY_WEBHOOK_SECRET"
    KEYRING_TIMEOUT = "MIGHTY_KEYRING_TIMEOUT"
    DEBUG = "MIGHTY_DEBUG"
    CONFIG_DIR = "MIGHTY_CONFIG_DIR"
    # How the PowerShell browser opener receives the URL (see launcher).
    BROWSER_URL = "MIGHTY_BROWSER_URL"
    # Set by the shell when it asks mighty for completions (Typer's name for mighty's).
    COMPLETE = "_MIGHTY_COMPLETE"


def debug_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether MIGHTY_DEBUG asks for the HTTP log (1, true, yes or on)."""
    import os

    value = (os.environ if env is None else env).get(Env.DEBUG, "")
    return value.lower() in ("1", "true", "yes", "on")
