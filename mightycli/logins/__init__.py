"""Logging in and out: the browser flow, pending logins, saving and revoking, and the stored
accounts (with-token, logout, switch, check, list). Importing it has no side effects."""

from __future__ import annotations

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
