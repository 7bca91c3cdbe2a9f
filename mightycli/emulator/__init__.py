"""A local Mighty Networks: OAuth 2.0 issuer, Headless (GraphQL) API and Admin API.

It imports nothing from the rest of mightycli, so any Mighty integration can test against it.
It is the ``emulator`` extra (``pip install 'mighty-cli[emulator]'``): ``Emulator`` needs
graphql-core, and is loaded on first use, so the constants (and the scripted browser in
``mightycli.emulator.browser``) import without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .authorization import (
    ADMIN_API_TOKEN,
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
    PUBLIC_CLIENT_ID,
)
from .directory import NETWORK_ID, NETWORK_SUBDOMAIN, NETWORK_TITLE
from .scopes import ALL_SCOPES, HOST_SCOPES, MEMBER_SCOPES

if TYPE_CHECKING:
    from .server import Emulator

__all__ = [
    "ADMIN_API_TOKEN",
    "ALL_SCOPES",
    "CONFIDENTIAL_CLIENT_ID",
    "CONFIDENTIAL_CLIENT_SECRET",
    "DEFAULT_REDIRECT_URI",
    "HOST_SCOPES",
    "MEMBER_SCOPES",
    "NETWORK_ID",
    "NETWORK_SUBDOMAIN",
    "NETWORK_TITLE",
    "PUBLIC_CLIENT_ID",
    "Emulator",
]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from .server import Emulator

        return Emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
