"""PKCE (RFC 7636) and ``state``: pure functions over ``secrets`` and ``hashlib``."""

from __future__ import annotations

import base64
import hashlib
import secrets

# RFC 7636 section 4.1: 43 to 128 characters from the unreserved set.
_VERIFIER_BYTES = 64  # 86 characters once base64url-encoded


def generate_verifier() -> str:
    """A fresh high-entropy code verifier."""
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def challenge_s256(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def generate_state() -> str:
    """An unguessable value binding the callback to this login attempt (RFC 6749 section 10.12)."""
    return secrets.token_urlsafe(32)


def states_match(expected: str, received: str | None) -> bool:
    """Compare in constant time so the comparison leaks nothing about the expected value."""
    if received is None:
        return False
    # surrogatepass: a value read from a terminal in a C locale can hold lone surrogates, which
    # plain UTF-8 refuses to encode; such a value simply does not match.
    return secrets.compare_digest(
        expected.encode("utf-8"), received.encode("utf-8", errors="surrogatepass")
    )
