"""Logging in and out: the browser flow, pending logins, saving and revoking, the stored
accounts (with-token, logout, switch, check, list), and where a login's settings come from.

Importing the package loads nothing: each name below loads its module on first use, so the
command line's help and the settings resolution (``mightycli.logins.settings``) stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mightycli.logins.accounts import (
        LoginCheck,
        LoginStatus,
        LogoutResult,
        check_login,
        list_logins,
        login_with_token,
        logout,
        switch_default,
    )
    from mightycli.logins.flow import LoginResult, login
    from mightycli.logins.options import LoginOptions
    from mightycli.logins.pending import (
        PendingLogin,
        complete_login,
        pending_dir,
        read_pending,
        start_login,
    )

# Each public name, by the module that holds it.
_HOMES = {
    "accounts": (
        "LoginCheck", "LoginStatus", "LogoutResult", "check_login", "list_logins",
        "login_with_token", "logout", "switch_default",
    ),
    "flow": ("LoginResult", "login"),
    "options": ("LoginOptions",),
    "pending": ("PendingLogin", "complete_login", "pending_dir", "read_pending", "start_login"),
}  # fmt: skip
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "LoginCheck",
    "LoginOptions",
    "LoginResult",
    "LoginStatus",
    "LogoutResult",
    "PendingLogin",
    "check_login",
    "complete_login",
    "list_logins",
    "login",
    "login_with_token",
    "logout",
    "pending_dir",
    "read_pending",
    "start_login",
    "switch_default",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
