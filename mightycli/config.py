"""Settings, where files live, and the non-secret login state.

Precedence for every setting: command-line option, then environment variable, then the
network's table in the config file, then the config file's top level, then the default.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mightycli.environment import Env
from mightycli.errors import ConfigError, StateFileError, UsageError
from mightycli.values import Value

if TYPE_CHECKING:
    # pathlib and urllib.parse are imported where they are used: together they cost
    # `mighty token` some 18 million instructions, a tenth of its start-up (the *_name
    # functions below are the start-up path's: plain text paths).
    from pathlib import Path

from mightycli.privatefiles import (
    cannot_write as cannot_write,
)
from mightycli.privatefiles import (
    check_trusted as check_trusted,
)
from mightycli.privatefiles import (
    check_trusted_folder as check_trusted_folder,
)
from mightycli.privatefiles import (
    check_writable as check_writable,
)
from mightycli.privatefiles import (
    make_private_dir as make_private_dir,
)
from mightycli.privatefiles import (
    read_trusted as read_trusted,
)
from mightycli.privatefiles import (
    remove_stale_temp_files as remove_stale_temp_files,
)
from mightycli.privatefiles import (
    write_private_file as write_private_file,
)

APP_NAME = "mighty"
ENV_CONFIG_DIR = Env.CONFIG_DIR
DEFAULT_API_URL = "https://api.mn.co"
DEFAULT_REDIRECT_URI = "http://localhost:3000/callback"
# Enough for `whoami`: the member's own e-mail (read:userinfo) and the network (read:network).
DEFAULT_SCOPES: tuple[str, ...] = ("read:userinfo", "read:network")
DEFAULT_LOGIN_TIMEOUT = 300.0
STATE_VERSION = 1

_SUBDOMAIN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_MN_SUFFIX = ".mn.co"
# ASCII digits only ("²" and "١٢٣" are digits to str.isdigit), and no longer than any id can be.
_NETWORK_ID = r"[0-9]{1,20}"


def check_text(text: str, what: str) -> str:
    """An argument or variable as text: bytes that were not UTF-8 reach Python as lone
    surrogates, which no request, file or terminal can carry, so they are a usage error here
    rather than a crash later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"The {what} is not valid UTF-8 text.",
            hint="Check the value's encoding (or the shell's locale): mighty sends text as UTF-8.",
        ) from None
    return text


# The longest time any wait may be given: a socket or a thread cannot wait much longer than
# 2**33 seconds, and no command needs more than a day.
LONGEST_SECONDS = 86400.0


def check_seconds(value: float, what: str) -> float:
    """A time limit as given: positive, a number (not nan) and at most a day."""
    if not 0 < value <= LONGEST_SECONDS:
        raise UsageError(
            f"{what} must be a positive number of seconds, at most {LONGEST_SECONDS:.0f}."
        )
    return value


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder for config.toml and logins.json (``MIGHTY_CONFIG_DIR`` overrides)."""
    from pathlib import Path

    return Path(config_dir_name(env))


def config_dir_name(env: Mapping[str, str] | None = None) -> str:
    """``config_dir`` as text, without pathlib."""
    env = os.environ if env is None else env
    override = env.get(ENV_CONFIG_DIR)
    if override:
        return os.path.expanduser(override)
    found = _xdg_config_dir()
    if found is not None:
        return found
    import platformdirs  # deferred: only commands that touch files pay for it

    return platformdirs.user_config_dir(APP_NAME, appauthor=False)


def _xdg_config_dir() -> str | None:
    """platformdirs' answer on Linux where every version of it answers alike (an absolute
    XDG_CONFIG_HOME; or none, and an absolute HOME), without importing it: platformdirs and the
    pathlib it brings cost `mighty token` a fifth of its start-up. None: ask platformdirs."""
    import sys

    if (
        sys.platform != "linux"
        or hasattr(sys, "getandroidapilevel")
        or "ANDROID_DATA" in os.environ
    ):
        return None
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not base.strip():
        home = os.environ.get("HOME", "")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".config")
    elif not os.path.isabs(base):
        return None  # a relative XDG_CONFIG_HOME: platformdirs versions differ
    return os.path.join(base, APP_NAME)


def config_file_name(env: Mapping[str, str] | None = None) -> str:
    """``config_file_path`` as text, without pathlib."""
    return os.path.join(config_dir_name(env), "config.toml")


def state_file_name(env: Mapping[str, str] | None = None) -> str:
    """``state_file_path`` as text, without pathlib."""
    return os.path.join(config_dir_name(env), "logins.json")


def config_file_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "config.toml"


def state_file_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "logins.json"


def lock_file_path(state_path: str | Path) -> Path:
    """Token refreshes across processes are serialised on this file, beside the state file."""
    from pathlib import Path

    state_path = Path(state_path)
    return state_path.with_name(state_path.name + ".lock")


# --------------------------------------------------------------------------- config file


class FileConfig(Value):
    """The user's config.toml: top-level settings and per-network tables.

    Values (mightycli/values.py) here and for NetworkRef, LoginRecord and LoginState: they are
    defined on the start-up path of every command, where a dataclass or a named tuple costs
    several times as much to define. (Their empty mappings are shared and never changed: every
    change makes a new value.)
    """

    top: Mapping[str, Any] = MappingProxyType({})
    networks: Mapping[str, Mapping[str, Any]] = MappingProxyType({})
    path: str | Path | None = None

    def lookup(self, name: str, network: str | None = None) -> Any:
        if network is not None:
            table = self.networks.get(network)
            if table is not None and name in table:
                return table[name]
        return self.top.get(name)


_KNOWN_KEYS = {
    "network",
    "client_id",
    "scopes",
    "redirect_uri",
    "issuer",
    "api_url",
    "timeout",
    "storage",
}


def load_file_config(path: str | Path) -> FileConfig:
    """Read config.toml; a missing file is an empty configuration."""
    try:
        raw = read_trusted(path)
    except FileNotFoundError:
        return FileConfig(path=path)
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}") from exc
    import tomllib  # deferred: most runs have no config file

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {exc}",
            hint="Fix or remove the file.",
        ) from exc
    networks_raw = data.pop("networks", {})
    if not isinstance(networks_raw, dict) or not all(
        isinstance(v, dict) for v in networks_raw.values()
    ):
        raise ConfigError(f"In {path}, [networks.<name>] entries must be tables.")
    if "client_secret" in data or any("client_secret" in t for t in networks_raw.values()):
        raise ConfigError(
            f"{path} holds a client_secret; secrets do not belong in the config file.",
            hint="Remove it and set MIGHTY_CLIENT_SECRET in the environment instead.",
        )
    for key in list(data) + [k for t in networks_raw.values() for k in t]:
        if key not in _KNOWN_KEYS:
            raise ConfigError(
                f"Unknown setting {key!r} in {path}.",
                hint="Known settings: " + ", ".join(sorted(_KNOWN_KEYS)) + ".",
            )
    for table in (data, *networks_raw.values()):
        for key, value in table.items():
            _check_setting(path, key, value)
    networks = {_network_in_file(path, str(k)): v for k, v in networks_raw.items()}
    return FileConfig(top=data, networks=networks, path=path)


def _network_in_file(path: str | Path, name: str) -> str:
    """A network named in the config file, as the key logins are filed under."""
    try:
        return parse_network(name).key
    except UsageError as exc:
        raise ConfigError(
            f"In {path}, {name[:60]!r} is not a network: {exc.message}",
            hint="Name a network by its subdomain (mycommunity) or numeric id.",
        ) from None


def _check_setting(path: str | Path, key: str, value: Any) -> None:
    """Each setting has one type; a wrong one is named here rather than failing later."""
    if key == "scopes":
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        wanted = "a string or a list of strings"
    elif key == "timeout":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        wanted = "a positive number of seconds"
    else:
        ok, wanted = isinstance(value, str), "a string"
    if ok and key == "network":
        _network_in_file(path, value)
    if not ok:
        raise ConfigError(
            f"In {path}, the setting {key!r} must be {wanted}.",
            hint=f"Fix or remove it in {path}.",
        )


# --------------------------------------------------------------------------- networks and URLs


class NetworkRef(Value):
    """A network as the user named it, reduced to the key logins are filed under."""

    key: str  # subdomain (lowercase) or numeric id; also the path segment for the APIs
    issuer: str | None  # https://<subdomain>.mn.co when it can be derived, else None


def parse_network(value: str) -> NetworkRef:
    """Accept a subdomain, a numeric id, ``<sub>.mn.co`` or a community URL."""
    text = value.strip()
    if not text:
        raise UsageError("The network name is empty.", hint="Pass --network <subdomain>.")
    if re.fullmatch(_NETWORK_ID, text):
        return NetworkRef(key=text, issuer=None)
    if text.isascii() and text.isdigit():
        raise UsageError(f"The network id {text[:40]!r} is too long to be a network id.")
    host = text
    if "://" in text:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(text)
        except ValueError as exc:  # an unbalanced [ in the host
            raise UsageError(f"{value!r} is not a community URL.") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{value!r} is not a community URL.")
        host = parts.hostname
    host = host.lower().rstrip("/")
    if host.endswith(_MN_SUFFIX):
        sub = host[: -len(_MN_SUFFIX)]
        if re.match(_SUBDOMAIN, sub) and sub != "api":
            return NetworkRef(key=sub, issuer=f"https://{sub}{_MN_SUFFIX}")
    elif "://" not in text and re.match(_SUBDOMAIN, host):
        return NetworkRef(key=host, issuer=f"https://{host}{_MN_SUFFIX}")
    raise UsageError(
        f"Cannot tell which network {value!r} is.",
        hint=(
            "Pass the subdomain (e.g. --network mycommunity for mycommunity.mn.co) or the numeric "
            "network id; for a custom domain add --issuer https://<your community's address>."
        ),
    )


def is_network_key(value: str) -> bool:
    """Whether ``value`` is a key logins are filed under: a subdomain or a numeric network id
    (the forms parse_network reduces every reference to). Names read back from files must be:
    they reach shells through completion, and paths and messages everywhere."""
    if not value.isascii():
        return False
    if value.isdigit():
        return len(value) <= 20  # _NETWORK_ID
    # _SUBDOMAIN, said without a regular expression: this runs at every start-up, where
    # compiling the pattern would cost more than the check.
    return (
        0 < len(value) <= 63
        and not value.startswith("-")
        and not value.endswith("-")
        and all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in value)
    )


def is_loopback_host(host: str, *, localhost_names: bool = False) -> bool:
    """``localhost`` or a literal loopback address.

    A name under ``.localhost`` counts only with ``localhost_names``, for the redirect URI: mighty
    listens on 127.0.0.1 and ::1 itself, and browsers connect such names to loopback without
    DNS. A connection mighty makes to one would ask DNS, which may answer with a remote host.
    """
    import ipaddress  # deferred, like the other imports here that `mighty token` never needs

    host = host.strip("[]").lower()
    if host == "localhost" or (localhost_names and host.endswith(".localhost")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_url(url: str, what: str) -> str:
    """Refuse anything but https, except plain http to this machine (tests, the emulator)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is no number from 0 to 65535
    except ValueError as exc:  # an unbalanced [ in the host, or a port like 4500:99999
        raise UsageError(
            f"The {what} {url!r} is not a valid URL.",
            hint="A URL is scheme://host[:port]/path, with a port from 0 to 65535.",
        ) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"The {what} {url!r} is not an http(s) URL.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"The {what} {url!r} uses plain http.",
            hint="Only https is allowed, except for localhost and 127.0.0.1.",
        )
    if parts.username or parts.password:
        raise UsageError(f"The {what} must not carry a user name or password.")
    return url.rstrip("/") if parts.path in ("", "/") else url


# --------------------------------------------------------------------------- login state


def _is_number(value: Any) -> bool:
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# What each LoginRecord field may hold in logins.json, by its annotation.
_FIELD_CHECKS: dict[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "str | None": lambda v: v is None or isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "float | None": lambda v: v is None or _is_number(v),
    "tuple[str, ...]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


# Where a login sends requests or its browser: read back, each follows the rules of a login.
_URL_FIELDS = frozenset(
    {
        "api_url",
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "redirect_uri",
    }
)


# The URLs logins.json holds are nearly always of these plain forms, which the login rules
# accept as they are: https to a host name, or http to this machine, a port, a path. They are
# known good without urllib.parse, whose import costs `mighty token` more than its own work;
# anything else (a user name, an IPv6 host, a query, a stranger port) gets the full check.
_PLAIN_URL = (
    r"(?:https://[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|http://(?:127\.0\.0\.1|localhost))"
    r"(?::(?P<port>[0-9]{1,5}))?(?:/[A-Za-z0-9._~%/-]*)?"
)


def check_url_read_back(value: str, name: str) -> None:
    """A URL read from a file mighty wrote: https, or http to this machine, as at login; else
    ValueError naming it (the file is damaged, or someone else wrote it)."""
    plain = re.fullmatch(_PLAIN_URL, value, re.IGNORECASE)
    if plain is not None and int(plain["port"] or 0) <= 65535:
        return
    try:
        check_endpoint_url(value, name.replace("_", " "))
    except UsageError as exc:
        raise ValueError(f"{name!r} is not a URL mighty may use: {exc.message}") from None


class LoginRecord(Value):
    """Everything about one network's credentials except the secrets (those live in the store).

    A network can hold an OAuth login (Headless API), an Admin API token, or both: the two APIs
    take different credentials. (A Value, as the others here: a dataclass costs `mighty token`
    more than its own work.)
    """

    network: str
    api_url: str
    # OAuth login (Headless API); the endpoints are None when there is none.
    issuer: str | None = None
    client_id: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    revocation_endpoint: str | None = None
    confidential: bool = False
    redirect_uri: str | None = None  # as registered on the application; reused by a new login
    user_id: str | None = None
    user_name: str | None = None
    network_title: str | None = None
    # The network's numeric id once an API has said it; API paths use it (field reports: a
    # subdomain path met an HTML 403 where the numeric id worked).
    network_id: str | None = None
    scopes: tuple[str, ...] = ()
    expires_at: float | None = None
    obtained_at: float | None = None  # when the current access token was issued to us
    has_refresh_token: bool = False
    storage: str = "keyring"
    # With keyring storage: the backend keyring wrote the secrets to (module.Class), from which
    # token, whoami and api read them directly (mightycli/directread.py); None: ask keyring.
    keyring_backend: str | None = None
    created_at: float | None = None
    # Admin API token.
    has_admin_token: bool = False
    admin_user_id: str | None = None
    admin_user_name: str | None = None

    @property
    def has_oauth(self) -> bool:
        return self.client_id is not None and self.token_endpoint is not None

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoginRecord:
        """A record from its JSON form; a value of the wrong type raises ValueError naming it."""
        if not isinstance(data, Mapping):
            raise ValueError("a login is not an object")
        values: dict[str, Any] = {}
        for name in cls._fields:
            kind = cls.__annotations__[name]
            if name not in data:
                if name not in cls._field_defaults:
                    raise ValueError(f"a login lacks {name!r}")
                continue
            value = data[name]
            if not _FIELD_CHECKS[kind](value):  # the annotation's text, e.g. "str | None"
                raise ValueError(f"{name!r} has a value of the wrong type")
            if name in _URL_FIELDS and value is not None:
                check_url_read_back(value, name)
            values[name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


class LoginState(Value):
    """All stored logins and which one is the default."""

    logins: Mapping[str, LoginRecord] = MappingProxyType({})
    default: str | None = None

    def with_login(self, record: LoginRecord, *, make_default: bool = True) -> LoginState:
        logins = dict(self.logins)
        logins[record.network] = record
        default = record.network if make_default or self.default is None else self.default
        return LoginState(logins=logins, default=default)

    def without(self, network: str) -> LoginState:
        logins = {k: v for k, v in self.logins.items() if k != network}
        default = self.default
        if default == network or default not in logins:
            default = next(iter(sorted(logins)), None)
        return LoginState(logins=logins, default=default)


def read_state(path: str | Path) -> LoginState:
    """The stored logins; a file that is not exactly what mighty writes is reported, never
    rewritten or deleted."""
    try:
        raw = read_trusted(path)
    except FileNotFoundError:
        return LoginState()
    except OSError as exc:
        raise StateFileError(f"Cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError("unknown layout")
        if not isinstance(data.get("logins"), dict):
            raise ValueError("'logins' is not an object")
        for key in data["logins"]:
            if not is_network_key(key):
                raise ValueError(f"a login is filed under {key[:40]!r}, which is not a network")
        logins = {str(key): LoginRecord.from_json(value) for key, value in data["logins"].items()}
        if any(record.network != key for key, record in logins.items()):
            raise ValueError("a login is filed under another network's name")
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise ValueError("'default' is not a string")
    except UnicodeDecodeError:
        raise _damaged_state(path, "not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise _damaged_state(path, str(exc) if isinstance(exc, ValueError) else "nested") from None
    if default not in logins:
        default = next(iter(sorted(logins)), None)
    return LoginState(logins=logins, default=default)


def _damaged_state(path: str | Path, why: str) -> StateFileError:
    return StateFileError(
        f"The login state file {path} is damaged ({why}).",
        hint=f"Move it aside (mv {path} {path}.bad) and run mighty login again; mighty leaves "
        "it as it is.",
    )


def write_state(path: str | Path, state: LoginState) -> None:
    payload = {
        "version": STATE_VERSION,
        "default": state.default,
        "logins": {key: record.to_json() for key, record in sorted(state.logins.items())},
    }
    write_private_file(path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))
