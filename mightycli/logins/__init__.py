"""Logging in and out (being assembled from mightycli.login).

Importing the package loads nothing: the names below load their module on first use, so the
command line's help and the option resolution in ``options`` stay light."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mightycli.login import (
        LoginOptions,
        check_login,
        complete_login,
        list_logins,
        login,
        login_with_token,
        logout,
        start_login,
        switch_default,
    )

__all__ = [
    "LoginOptions",
    "check_login",
    "complete_login",
    "list_logins",
    "login",
    "login_with_token",
    "logout",
    "start_login",
    "switch_default",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mightycli import login

        return getattr(login, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
