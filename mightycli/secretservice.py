"""Reading secrets straight from the Secret Service, the freedesktop.org D-Bus API that
gnome-keyring, KeePassXC and KWallet serve, exactly where keyring's SecretService backend keeps
them and as it reads them.

keyring takes some 200 ms to start on a Linux desktop (it imports every backend it knows, then asks
each whether it works here); a read over D-Bus takes a few milliseconds once jeepney (which keyring
itself depends on there) is imported. What keyring does, read from its source
(``keyring/backends/SecretService.py``, SecretStorage 3):

- the collection is the default one, ``/org/freedesktop/secrets/aliases/default``
  (``get_preferred_collection``: ``secretstorage.get_default_collection`` unless the backend has a
  ``preferred_collection`` property, which only ``KEYRING_PROPERTY_*`` variables can give it here,
  and ``mightycli.directread`` leaves those cases to keyring);
- a locked collection is unlocked with a prompt first (``KeyringLocked`` when it stays locked);
- items are searched in that collection by ``service`` and ``username`` only (the default
  scheme). keyring writes ``application: Python keyring library`` as well, but never searches by
  it, so items other keyring versions or other clients wrote are found alike;
- the first item found is the answer, after unlocking it: its secret's bytes decoded as UTF-8,
  strictly, whatever its content type says.

Whatever this reader cannot answer exactly as keyring would, it leaves unanswered (None): no
session bus, no daemon on it, no default collection, a locked collection or item (keyring would
prompt), an item not found (keyring may know another place to look), a secret that is not UTF-8
(keyring fails in its own words), any D-Bus error or timeout. The caller then asks keyring. It
never raises.
"""

from __future__ import annotations

import time
from typing import Any

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
SERVICE_INTERFACE = "org.freedesktop.Secret.Service"
COLLECTION_INTERFACE = "org.freedesktop.Secret.Collection"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"
IS_LOCKED = (COLLECTION_INTERFACE, "Locked")


class SecretServiceReader:
    """Reads over one connection to the session bus, opened at the first read, all within one
    deadline of ``timeout`` seconds from then; ``close()`` (or the ``with`` block) ends it."""

    bounded = True  # it keeps its own deadline and never raises

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._connection: Any = None
        self._deadline = 0.0
        self._session = ""
        self._usable = True

    def __enter__(self) -> SecretServiceReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_password(self, service: str, username: str) -> str | None:
        """The secret keyring's ``get_password(service, username)`` would return, or None when
        keyring has to answer (see the module's docstring)."""
        if not self._usable:
            return None
        try:
            return self._read(service, username)
        except Exception:  # D-Bus errors, timeouts, an odd answer: keyring's to handle
            self._usable = False
            return None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()  # the daemon closes the session with the connection
            except Exception:
                pass

    def _read(self, service: str, username: str) -> str | None:
        query = {"service": service, "username": username}
        search = (DEFAULT_COLLECTION, COLLECTION_INTERFACE, "SearchItems", "a{ss}", (query,))
        if self._connection is None:
            # The first read asks three questions at once: whether the collection is locked,
            # for a session, and for the items.
            self._open()
            locked, opened, found = self._calls(
                (DEFAULT_COLLECTION, PROPERTIES_INTERFACE, "Get", "ss", IS_LOCKED),
                # A "plain" session: the secret crosses the session bus unencrypted, as with
                # gh and libsecret's own tools. The session bus is the user's own socket (only
                # the same user, or root, can connect to it or watch it), and whoever can watch
                # it can as well ask the Secret Service for the secret; the
                # "dh-ietf1024-sha256-aes128-cbc-pkcs7" session SecretStorage negotiates would
                # protect nothing more here, and costs the cryptography package's import.
                (SERVICE_PATH, SERVICE_INTERFACE, "OpenSession", "sv", ("plain", ("s", ""))),
                search,
            )
            if locked != (("b", False),):
                raise LookupError("the default collection is locked")  # keyring would prompt
            self._session = str(opened[1])
        else:
            (found,) = self._calls(search)
        (items,) = found
        if not items:
            return None
        first = str(items[0])
        get = (SERVICE_PATH, SERVICE_INTERFACE, "GetSecrets", "aoo", ([first], self._session))
        ((secrets,),) = self._calls(get)
        secret = secrets.get(first)  # a locked item is left out of the answer
        if secret is None:
            return None
        _session, _parameters, value, _content_type = secret
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def _open(self) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self._deadline = time.monotonic() + self.timeout
        self._connection = open_dbus_connection("SESSION", auth_timeout=self.timeout)

    def _calls(self, *calls: tuple[str, str, str, str, tuple[Any, ...]]) -> list[Any]:
        """Send the method calls (path, interface, method, signature, body) at once; their
        answers' bodies, in order. An error answer or the deadline raises."""
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call

        connection = self._connection
        waiting: dict[int, int] = {}
        for index, (path, interface, method, signature, body) in enumerate(calls):
            message = new_method_call(
                DBusAddress(path, BUS_NAME, interface), method, signature, body
            )
            serial = next(connection.outgoing_serial)
            connection.send(message, serial=serial)
            waiting[serial] = index
        answers: list[Any] = [None] * len(calls)
        while waiting:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the Secret Service did not answer in time")
            reply = connection.receive(timeout=left)
            index = waiting.pop(reply.header.fields.get(HeaderFields.reply_serial, -1), -1)
            if index < 0:
                continue  # a signal, or an answer to nothing of ours
            if reply.header.message_type != MessageType.method_return:
                raise LookupError(f"{calls[index][2]} was refused")
            answers[index] = reply.body
        return answers
