from __future__ import annotations

import re

from mightycli import pkce


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_long_unreserved_and_fresh() -> None:
    verifiers = {pkce.generate_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)


def test_state_is_fresh_and_compared_exactly() -> None:
    first, second = pkce.generate_state(), pkce.generate_state()
    assert first != second and len(first) >= 32
    assert pkce.states_match(first, first)
    assert not pkce.states_match(first, second)
    assert not pkce.states_match(first, None)
    assert not pkce.states_match(first, first + "x")


def test_a_state_that_cannot_be_utf8_encoded_simply_does_not_match() -> None:
    # Found by tests/test_properties.py: a lone surrogate used to raise UnicodeEncodeError.
    state = pkce.generate_state()
    assert not pkce.states_match(state, "\ud800")
    assert not pkce.states_match(state, state + "\udcff")
