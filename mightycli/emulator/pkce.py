"""PKCE checks on the server side (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string

# RFC 7636 §4.1: code-verifier = 43*128unreserved,
# unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
# §4.2 gives the challenge the same alphabet and length bounds.
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_MIN_LENGTH = 43
_MAX_LENGTH = 128

SUPPORTED_METHODS: tuple[str, ...] = ("S256",)


def is_well_formed(value: str) -> bool:
    """True when `value` may be a code verifier or code challenge by RFC 7636 §4.1 and §4.2."""
    return _MIN_LENGTH <= len(value) <= _MAX_LENGTH and all(c in _UNRESERVED for c in value)


def s256_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), unpadded (Appendix A)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def verifier_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6: recompute the challenge from the verifier and compare."""
    if method != "S256" or not is_well_formed(verifier):
        return False
    # Constant-time comparison, so timing says nothing about how much of a guess was right.
    return hmac.compare_digest(s256_challenge(verifier), challenge)
