"""Retrying requests the server asked us to slow down for, with backoff and jitter."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mightycli.errors import NetworkError, RetryLaterError
from mightycli.http import connection_hint, status_text

# 429 and 503 mean the request was not processed; 502 and 504 come from a gateway and may
# hide a request that did run, so those are repeated only when repeating is harmless.
RETRY_ALWAYS = frozenset({429, 503})
RETRY_IF_IDEMPOTENT = frozenset({502, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Never waited for, whatever --max-wait allows: a server asking for more than a year is not
# asking for a retry (and 99999999999999999999999 seconds is beyond any clock and any sleep).
LONGEST_WAIT = 365 * 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    # The most time spent waiting between attempts, all waits together: a script calling
    # mighty must not hang for twenty minutes because a server said Retry-After: 299.
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    clock: Callable[[], float] = time.time

    def backoff(self, attempt: int) -> float:
        """Exponential, with jitter so parallel clients do not return in lockstep."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return float(ceiling * (0.5 + self.jitter() / 2))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """RFC 9110 section 10.2.3: delay-seconds or an HTTP-date."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() is true too
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _retry_later(
    response: httpx.Response, delay: float, left: float, now: float
) -> RetryLaterError:
    import datetime as dt

    asked = f"{delay:.0f} s" if delay <= LONGEST_WAIT else "more than a year"
    limit = f"{max(left, 0):.0f} s left of its limit" if left <= LONGEST_WAIT else "at most a year"
    if delay <= LONGEST_WAIT:
        when = dt.datetime.fromtimestamp(now + delay, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        hint = f"Try again after {when} (mighty api --max-wait SECONDS allows longer waits)."
    else:
        hint = "Try again later; the time the server names is not one mighty can wait for."
    return RetryLaterError(
        f"{status_text(response)} from {response.request.url.host}: the server asks to wait "
        f"{asked}, longer than mighty waits ({limit}).",
        hint=hint,
        retry_at=now + delay,
    )


def _transport_failure(exc: httpx.TransportError, idempotent: bool) -> tuple[str, bool]:
    """What went wrong, and whether repeating the request is safe."""
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return f"cannot connect ({exc})", True  # nothing reached the server
    if isinstance(exc, httpx.TimeoutException):
        return "timed out", idempotent
    return f"connection failed ({exc})", idempotent


def _lost_hint(url: httpx.URL, error: Exception) -> str:
    """What to do after a lost connection; a slow server also gets the option that waits longer
    (mighty api's: the other commands keep the default)."""
    hint = connection_hint(url)
    if isinstance(error, httpx.TimeoutException) and not isinstance(error, httpx.ConnectTimeout):
        hint += " A slow server may need more time: mighty api --timeout SECONDS."
    return hint


def _response_delay(
    response: httpx.Response, policy: RetryPolicy, attempt: int, waited: float
) -> float | None:
    """How long to wait before repeating a retryable answer; None when it stands as it is."""
    if attempt >= policy.max_attempts:
        return None
    now = policy.clock()
    left = policy.max_wait - waited
    delay = parse_retry_after(response.headers.get("retry-after"), now)
    if delay is not None and (delay > left or delay > LONGEST_WAIT):
        raise _retry_later(response, delay, left, now)
    if delay is None:
        delay = policy.backoff(attempt)
        if delay > left:
            return None  # out of waiting time: the answer stands
    return delay


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    idempotent: bool,
    policy: RetryPolicy,
    notify: Callable[[str], None],
    throttled: Callable[[httpx.Response], bool] = lambda _: False,
    retry_transport: bool = True,
) -> httpx.Response:
    """Send ``request`` (whose body is in memory), retrying what is safe to retry.

    With ``retry_transport`` false, only the server's answers are retried: a connection that
    fails is reported at once. All waits together stay within ``policy.max_wait``: a server
    asking for longer ends the call at once with RetryLaterError, saying when to try again.
    """
    attempt = 1
    waited = 0.0
    while True:
        try:
            response = client.send(request)
        except httpx.LocalProtocolError:
            # The request itself is malformed (a header value with a line break): repeating it
            # cannot help, and the library's message quotes the value, which may be a secret.
            raise NetworkError(
                f"{request.method} {request.url.copy_with(query=None)}: the request could not "
                "be sent, as one of its headers is not a valid HTTP header."
            ) from None
        except httpx.TransportError as exc:
            reason, retryable = _transport_failure(exc, idempotent)
            error: Exception = exc
        else:
            retryable = (
                response.status_code in RETRY_ALWAYS
                or (response.status_code in RETRY_IF_IDEMPOTENT and idempotent)
                or throttled(response)
            )
            delay = _response_delay(response, policy, attempt, waited) if retryable else None
            if delay is None:
                return response
            what = "GraphQL THROTTLED" if throttled(response) else status_text(response)
            notify(
                f"{what} from {request.url.host}; retrying in {delay:.1f} s "
                f"(attempt {attempt + 1} of {policy.max_attempts})..."
            )
            policy.sleep(delay)
            waited += delay
            attempt += 1
            continue
        delay = policy.backoff(attempt)
        if (
            not retryable
            or not retry_transport
            or attempt >= policy.max_attempts
            or delay > policy.max_wait - waited
        ):
            raise NetworkError(
                f"{request.method} {request.url.copy_with(query=None)}: {reason}.",
                hint=_lost_hint(request.url, error),
            ) from error
        notify(
            f"{reason[0].upper()}{reason[1:]}; retrying in {delay:.1f} s "
            f"(attempt {attempt + 1} of {policy.max_attempts})..."
        )
        policy.sleep(delay)
        waited += delay
        attempt += 1
