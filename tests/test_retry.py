"""Retry decisions, shaped with httpx.MockTransport (faults the emulator cannot produce)."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from mightycli import retry
from mightycli.errors import NetworkError, RetryLaterError


def _policy(waits: list[float]) -> retry.RetryPolicy:
    return retry.RetryPolicy(sleep=waits.append, jitter=lambda: 1.0, clock=lambda: 1_000_000.0)


def _client(answers: list[object], seen: list[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    return httpx.Client(transport=httpx.MockTransport(handler))


def _send(
    answers: list[object],
    method: str = "GET",
    *,
    idempotent: bool = True,
    waits: list[float] | None = None,
    notes: list[str] | None = None,
    **kwargs: object,
) -> tuple[httpx.Response, list[str]]:
    seen: list[str] = []
    with _client(answers, seen) as client:
        response = retry.send(
            client,
            client.build_request(method, "http://127.0.0.1/x"),
            idempotent=idempotent,
            policy=_policy([] if waits is None else waits),
            notify=(notes if notes is not None else []).append,
            **kwargs,  # type: ignore[arg-type]
        )
    return response, seen


def test_retry_after_forms() -> None:
    assert retry.parse_retry_after("7", now=0) == 7
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry.parse_retry_after(date, now=1_000_000) == pytest.approx(30)
    assert retry.parse_retry_after("soon", now=0) is None
    assert retry.parse_retry_after(None, now=0) is None


def test_backoff_grows_and_is_capped() -> None:
    policy = retry.RetryPolicy(jitter=lambda: 1.0, max_delay=5)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 5, 5]
    low = retry.RetryPolicy(jitter=lambda: 0.0)
    assert low.backoff(3) == 2  # jitter keeps at least half


def test_429_then_success_honours_retry_after() -> None:
    waits: list[float] = []
    notes: list[str] = []
    answers: list[object] = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)]
    response, seen = _send(answers, "POST", idempotent=False, waits=waits, notes=notes)
    assert response.status_code == 200 and waits == [3.0] and seen == ["POST", "POST"]
    assert "retrying in 3.0 s (attempt 2 of 5)" in notes[0]


def test_gateway_errors_repeat_only_idempotent_requests() -> None:
    for idempotent, expected in ((True, 200), (False, 502)):
        answers: list[object] = [httpx.Response(502), httpx.Response(200)]
        response, _ = _send(answers, idempotent=idempotent)
        assert response.status_code == expected


def test_gives_up_after_five_attempts() -> None:
    waits: list[float] = []
    response, seen = _send([httpx.Response(503) for _ in range(5)], waits=waits)
    assert response.status_code == 503 and len(seen) == 5 and waits == [1, 2, 4, 8]


def test_too_long_retry_after_is_not_waited_for() -> None:
    waits: list[float] = []
    with pytest.raises(RetryLaterError, match="asks to wait 3600 s") as caught:
        _send([httpx.Response(429, headers={"Retry-After": "3600"})], waits=waits)
    assert waits == [] and "Try again after 1970-01-12 14:46:40 UTC" in (caught.value.hint or "")
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"]
)
@pytest.mark.parametrize("max_wait", [60.0, float("inf")])
def test_an_absurd_retry_after_asks_longer_than_mighty_waits(value: str, max_wait: float) -> None:
    # Retry-After: 99999999999999999999999 used to end in "internal error: OverflowError".
    waits: list[float] = []
    policy = retry.RetryPolicy(
        sleep=waits.append, jitter=lambda: 1.0, clock=lambda: 1_000_000.0, max_wait=max_wait
    )
    seen: list[str] = []
    with _client([httpx.Response(429, headers={"Retry-After": value})], seen) as client:
        with pytest.raises(RetryLaterError, match="longer than mighty waits") as caught:
            retry.send(
                client,
                client.build_request("GET", "http://127.0.0.1/x"),
                idempotent=True,
                policy=policy,
                notify=lambda _: None,
            )
    assert waits == [] and "more than a year" in caught.value.message
    assert caught.value.hint and "Try again later" in caught.value.hint


def test_all_waits_together_stay_within_max_wait() -> None:
    # Retry-After: 299 four times used to mean twenty minutes of sleeping.
    waits: list[float] = []
    answers: list[object] = [httpx.Response(429, headers={"Retry-After": "299"})] * 5
    with pytest.raises(RetryLaterError):
        _send(answers, waits=waits)
    assert waits == []
    waits = []
    answers = [httpx.Response(503, headers={"Retry-After": "25"})] * 5
    with pytest.raises(RetryLaterError, match="10 s left"):
        _send(answers, waits=waits)
    assert waits == [25, 25] and sum(waits) <= retry.RetryPolicy().max_wait


def test_backoff_stops_when_the_waiting_time_is_used_up() -> None:
    waits: list[float] = []
    policy = retry.RetryPolicy(sleep=waits.append, jitter=lambda: 1.0, max_wait=3)
    seen: list[str] = []
    with _client([httpx.Response(503) for _ in range(5)], seen) as client:
        response = retry.send(
            client,
            client.build_request("GET", "http://127.0.0.1/x"),
            idempotent=True,
            policy=policy,
            notify=lambda _: None,
        )
    assert response.status_code == 503 and waits == [1, 2] and len(seen) == 3


def test_non_ascii_digits_are_no_retry_after() -> None:
    for value in ("\u00b2", "\u0661\u0662", "\uff13"):
        assert retry.parse_retry_after(value, now=0) is None


def test_connection_errors() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/x")
    # Nothing was sent: safe to repeat even a POST.
    refused: list[object] = [httpx.ConnectError("refused", request=request), httpx.Response(200)]
    ok, seen = _send(refused, "POST", idempotent=False)
    assert ok.status_code == 200 and len(seen) == 2
    # The connection broke mid-request: a POST may have run, so it is not repeated.
    with pytest.raises(NetworkError, match="connection failed"):
        _send([httpx.ReadError("reset", request=request)], "POST", idempotent=False)
    reset: list[object] = [httpx.ReadError("reset", request=request), httpx.Response(200)]
    again, seen = _send(reset)
    assert again.status_code == 200 and len(seen) == 2


def test_throttled_graphql_is_retried() -> None:
    from mightycli.pagination import is_throttled

    throttled = httpx.Response(
        200, json={"errors": [{"message": "x", "extensions": {"code": "THROTTLED"}}]}
    )
    answers: list[object] = [throttled, httpx.Response(200, json={"data": {}})]
    response, seen = _send(answers, "POST", idempotent=False, throttled=is_throttled)
    assert response.json() == {"data": {}} and len(seen) == 2
