"""The emulated authorization server: clients, consent, codes, grants and tokens (RFC 6749).

Everything here is plain data behind one lock; the HTTP layer turns the outcomes into responses.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

from .directory import Member, MemberDirectory
from .pkce import SUPPORTED_METHODS, is_well_formed, verifier_matches
from .scopes import ALL_SCOPES, is_host_scope, join_scope, split_scope

PUBLIC_CLIENT_ID = "emulator-public-client"
CONFIDENTIAL_CLIENT_ID = "emulator-confidential-client"
CONFIDENTIAL_CLIENT_SECRET = "emulator-client-secret"
ADMIN_API_TOKEN = "emulator-admin-api-token"
DEFAULT_REDIRECT_URI = "http://localhost:3000/callback"

# The API notes say codes expire in about ten minutes; a consent page lives as long as a code would.
CODE_LIFETIME = 600.0

# Pending consents plus codes kept before expired ones are swept out.
_PRUNE_THRESHOLD = 1000

# Form fields whose values are safe to keep in the request log; every other value is redacted.
_LOGGABLE_FIELDS = frozenset(
    {"grant_type", "client_id", "redirect_uri", "scope", "token_type_hint"}
)
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    secret: str | None  # None for a public client, which must use PKCE
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]

    @property
    def is_public(self) -> bool:
        return self.secret is None


def default_clients(
    redirect_uris: Sequence[str],
    public_client_id: str = PUBLIC_CLIENT_ID,
    confidential_client_id: str = CONFIDENTIAL_CLIENT_ID,
) -> dict[str, Client]:
    if public_client_id == confidential_client_id:
        raise ValueError("the public and the confidential client need different ids")
    uris = tuple(redirect_uris)
    enabled = frozenset(ALL_SCOPES)
    return {
        public_client_id: Client(public_client_id, "Emulator CLI (public)", None, uris, enabled),
        confidential_client_id: Client(
            confidential_client_id, "Emulator Server App", CONFIDENTIAL_CLIENT_SECRET, uris, enabled
        ),
    }


class OAuthError(Exception):
    """An error the token or revocation endpoint reports as RFC 6749 §5.2 JSON."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, challenge_basic: bool = False
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        # RFC 6749 §5.2: a client that tried the Authorization header gets WWW-Authenticate back.
        self.challenge_basic = challenge_basic


class InvalidAccessToken(Exception):
    """The bearer token cannot be used; the message says why, without repeating the token."""


# What the authorization endpoint decided; the HTTP layer renders each kind.
@dataclass(frozen=True)
class ErrorPage:
    """An error shown to the person, because redirecting to an unverified URI would be unsafe."""

    title: str
    message: str


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class ConsentPrompt:
    consent_id: str
    client_name: str
    network_title: str
    member_name: str
    member_role: str
    scopes: tuple[str, ...]
    redirect_uri: str


AuthorizeOutcome = ErrorPage | Redirect | ConsentPrompt


@dataclass(frozen=True)
class PendingAuthorization:
    """A validated authorization request (RFC 6749 §4.1.1) waiting for, or carried by, a code."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str | None
    code_challenge_method: str | None
    member_position: int


@dataclass(frozen=True)
class _Consent:
    request: PendingAuthorization
    created_at: float


@dataclass(frozen=True)
class _Code:
    request: PendingAuthorization
    issued_at: float
    used: bool = False
    grant_id: str | None = None


@dataclass(frozen=True)
class _Grant:
    client_id: str
    member_position: int
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass(frozen=True)
class _AccessToken:
    grant_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class _RefreshToken:
    grant_id: str
    client_id: str
    rotated: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None

    def to_json(self) -> dict[str, object]:
        # RFC 6749 §5.1.
        body: dict[str, object] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body

    def __repr__(self) -> str:
        return f"TokenResponse(expires_in={self.expires_in}, scope={self.scope!r})"


@dataclass(frozen=True)
class AccessContext:
    """What a valid access token lets its bearer do, and as whom."""

    client_id: str
    member: Member
    scopes: frozenset[str]


Params = Mapping[str, Sequence[str]]


class _DuplicateParameter(Exception):
    pass


def _param(params: Params, name: str) -> str | None:
    """One parameter's value. RFC 6749 §3.1: a parameter sent without a value counts as omitted,
    and none may appear more than once."""
    values = params.get(name, ())
    if len(values) > 1:
        raise _DuplicateParameter(name)
    if not values or values[0] == "":
        return None
    return values[0]


def _with_query(uri: str, pairs: list[tuple[str, str]]) -> str:
    # RFC 6749 §3.1.2: keep any query the registered URI has, and add ours to it.
    base, _, _fragment = uri.partition("#")
    separator = "&" if urlsplit(base).query else ("" if base.endswith("?") else "?")
    return f"{base}{separator}{urlencode(pairs)}"


class AuthorizationServer:
    def __init__(
        self,
        *,
        clients: Mapping[str, Client],
        directory: MemberDirectory,
        signed_in: Member,
        auto_approve: bool,
        access_token_ttl: float,
        issue_refresh_tokens: bool,
        clock: Callable[[], float],
    ) -> None:
        if access_token_ttl < 0 or math.isnan(access_token_ttl):
            raise ValueError("access_token_ttl must not be negative")
        self._clients = dict(clients)
        self._directory = directory
        self._signed_in = signed_in
        self._auto_approve = auto_approve
        self._ttl = access_token_ttl
        self._issue_refresh_tokens = issue_refresh_tokens
        self._clock = clock
        self._lock = threading.Lock()
        self._consents: dict[str, _Consent] = {}
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}
        self._grant_tokens: dict[str, list[str]] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._revoked: set[str] = set()
        self._secrets_seen: set[str] = set()
        self._token_requests: list[dict[str, str]] = []
        self._refresh_count = 0
        self._reuse_detections = 0

    # -- authorization endpoint (RFC 6749 §4.1.1, §4.1.2) ----------------------------------

    def authorize(self, params: Params, issuer: str) -> AuthorizeOutcome:
        try:
            client_id = _param(params, "client_id")
            redirect_uri = _param(params, "redirect_uri")
        except _DuplicateParameter as exc:
            return ErrorPage("Invalid request", f"The parameter {exc} was given more than once.")
        client = self._clients.get(client_id) if client_id is not None else None
        if client is None:
            return ErrorPage(
                "Unknown application",
                f"No application with client id {client_id or '(none)'!r} is registered here.",
            )
        # RFC 6749 §4.1.2.1: never redirect to a URI that is not registered for the client.
        # Matching is exact, port and trailing slash included, as the real service does.
        if redirect_uri is None or redirect_uri not in client.redirect_uris:
            return ErrorPage(
                "Redirect URI mismatch",
                f"The redirect URI {redirect_uri or '(none)'!r} is not registered for "
                f"{client.name}.",
            )

        def fail(error: str, description: str, state: str | None) -> Redirect:
            return Redirect(_error_location(redirect_uri, error, description, state, issuer))

        try:
            state = _param(params, "state")
        except _DuplicateParameter:
            return fail("invalid_request", "The state parameter was given more than once.", None)
        try:
            for name in params:
                _param(params, name)
        except _DuplicateParameter as exc:
            return fail("invalid_request", f"The parameter {exc} was given more than once.", state)
        # The real service rejects a request without state; it is the client's CSRF defence.
        if state is None:
            return fail("invalid_request", "The state parameter is required.", None)
        response_type = _param(params, "response_type")
        if response_type is None:
            return fail("invalid_request", "The response_type parameter is required.", state)
        if response_type != "code":
            return fail("unsupported_response_type", "Only response_type=code is supported.", state)

        challenge = _param(params, "code_challenge")
        method = _param(params, "code_challenge_method")
        if challenge is None:
            if method is not None:
                return fail(
                    "invalid_request",
                    "code_challenge_method was sent without code_challenge.",
                    state,
                )
            # RFC 7636 §4.4.1: a server that requires PKCE answers invalid_request.
            if client.is_public:
                return fail(
                    "invalid_request",
                    "PKCE is required: send code_challenge and code_challenge_method=S256.",
                    state,
                )
        else:
            # RFC 7636 §4.3: an absent method means "plain", which this server does not accept.
            if (method or "plain") not in SUPPORTED_METHODS:
                return fail(
                    "invalid_request",
                    "Transform algorithm not supported: use code_challenge_method=S256.",
                    state,
                )
            if not is_well_formed(challenge):
                return fail("invalid_request", "The code_challenge is malformed.", state)

        scopes = split_scope(_param(params, "scope") or "")
        for scope in scopes:
            if scope not in client.scopes:
                return fail(
                    "invalid_scope", f"The scope {scope!r} is not enabled for {client.name}.", state
                )
        if not self._signed_in.is_host and any(is_host_scope(s) for s in scopes):
            return fail("invalid_scope", "Host scopes can only be approved by a host.", state)

        request = PendingAuthorization(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            code_challenge=challenge,
            code_challenge_method=method if challenge is not None else None,
            member_position=self._signed_in.position,
        )
        if self._auto_approve:
            return Redirect(self._approve(request, issuer))
        consent_id = secrets.token_urlsafe(32)
        with self._lock:
            self._prune_locked()
            self._consents[consent_id] = _Consent(request, self._clock())
        return ConsentPrompt(
            consent_id=consent_id,
            client_name=client.name,
            network_title=self._directory.title,
            member_name=self._signed_in.display_name,
            member_role=self._signed_in.network_role or "limited member",
            scopes=scopes,
            redirect_uri=redirect_uri,
        )

    def decide(self, consent_id: str, decision: str, issuer: str) -> AuthorizeOutcome:
        """The person's answer on the consent page; a consent id is good for one answer."""
        if decision not in ("approve", "deny"):
            return ErrorPage("Invalid request", "Choose Approve or Deny.")
        with self._lock:
            consent = self._consents.pop(consent_id, None)
        if consent is None or self._clock() - consent.created_at >= CODE_LIFETIME:
            return ErrorPage(
                "Request expired",
                "This authorization request has expired or was already answered. "
                "Start again from the application.",
            )
        request = consent.request
        if decision == "deny":
            return Redirect(
                _error_location(
                    request.redirect_uri,
                    "access_denied",
                    "The member declined to authorize the application.",
                    request.state,
                    issuer,
                )
            )
        return Redirect(self._approve(request, issuer))

    def _approve(self, request: PendingAuthorization, issuer: str) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._prune_locked()
            self._codes[code] = _Code(request, self._clock())
            self._secrets_seen.add(code)
        # RFC 9207 §2: iss in the response lets the client detect a mix-up between servers.
        return _with_query(
            request.redirect_uri, [("code", code), ("state", request.state), ("iss", issuer)]
        )

    def _prune_locked(self) -> None:
        """Forget expired consents and codes once there are many, so a long-running emulator
        does not grow without bound. A forgotten used code can no longer trigger the reuse
        revocation, but it is past its lifetime and would be refused anyway."""
        if len(self._consents) + len(self._codes) < _PRUNE_THRESHOLD:
            return
        cutoff = self._clock() - CODE_LIFETIME
        self._consents = {k: v for k, v in self._consents.items() if v.created_at > cutoff}
        self._codes = {k: v for k, v in self._codes.items() if v.issued_at > cutoff}

    # -- token endpoint (RFC 6749 §3.2, §4.1.3, §6) ----------------------------------------

    def token(self, form: Params, basic: tuple[str, str] | None) -> TokenResponse:
        with self._lock:
            self._token_requests.append(
                {
                    name: (values[0] if name in _LOGGABLE_FIELDS and values else REDACTED)
                    for name, values in form.items()
                }
            )
        _reject_repeated_parameters(form)
        client = self._authenticate_client(form, basic)
        grant_type = _param(form, "grant_type")
        if grant_type is None:
            raise OAuthError("invalid_request", "The grant_type parameter is required.")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh_grant(client, form)
        raise OAuthError(
            "unsupported_grant_type", f"The grant type {grant_type!r} is not supported."
        )

    def _authenticate_client(self, form: Params, basic: tuple[str, str] | None) -> Client:
        body_id = _param(form, "client_id")
        body_secret = _param(form, "client_secret")
        used_basic = basic is not None
        client_id: str
        secret: str | None
        if basic is not None:
            # RFC 6749 §2.3: a client uses one authentication method per request.
            if body_secret is not None:
                raise OAuthError("invalid_request", "Use only one client authentication method.")
            client_id, secret = basic
            if body_id is not None and body_id != client_id:
                raise OAuthError(
                    "invalid_client",
                    "The client ids in the request disagree.",
                    status=401,
                    challenge_basic=True,
                )
        else:
            client_id, secret = body_id or "", body_secret
        client = self._clients.get(client_id)
        if client is None:
            raise OAuthError(
                "invalid_client",
                "Client authentication failed: unknown or missing client_id.",
                status=401,
                challenge_basic=used_basic,
            )
        if client.secret is None:
            if secret:
                raise OAuthError(
                    "invalid_client",
                    "This client is public and has no secret.",
                    status=401,
                    challenge_basic=used_basic,
                )
        elif secret is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
            raise OAuthError(
                "invalid_client",
                "Client authentication failed: missing or wrong client_secret.",
                status=401,
                challenge_basic=used_basic,
            )
        return client

    def _exchange_code(self, client: Client, form: Params) -> TokenResponse:
        code = _param(form, "code")
        redirect_uri = _param(form, "redirect_uri")
        verifier = _param(form, "code_verifier")
        if verifier:
            with self._lock:
                self._secrets_seen.add(verifier)
        if code is None:
            raise OAuthError("invalid_request", "The code parameter is required.")
        if redirect_uri is None:
            raise OAuthError("invalid_request", "The redirect_uri parameter is required.")
        with self._lock:
            record = self._codes.get(code)
            if record is None:
                raise OAuthError("invalid_grant", "The authorization code is not valid.")
            if record.used:
                # RFC 6749 §4.1.2: a code used twice may have been stolen, so everything issued
                # from it is revoked.
                if record.grant_id is not None:
                    self._revoke_grant_locked(record.grant_id)
                raise OAuthError(
                    "invalid_grant",
                    "The authorization code was already used; tokens issued from it "
                    "have been revoked.",
                )
            request = record.request
            if request.client_id != client.client_id:
                raise OAuthError(
                    "invalid_grant", "The authorization code was issued to another client."
                )
            if self._clock() - record.issued_at >= CODE_LIFETIME:
                raise OAuthError("invalid_grant", "The authorization code has expired.")
            # RFC 6749 §4.1.3: the redirect_uri must be identical to the authorization request's.
            if redirect_uri != request.redirect_uri:
                raise OAuthError(
                    "invalid_grant", "The redirect_uri does not match the authorization request."
                )
            if request.code_challenge is not None:
                if verifier is None:
                    raise OAuthError("invalid_request", "The code_verifier parameter is required.")
                if not verifier_matches(
                    verifier, request.code_challenge, request.code_challenge_method or "plain"
                ):
                    # RFC 7636 §4.6.
                    raise OAuthError(
                        "invalid_grant", "The code_verifier does not match the code_challenge."
                    )
            elif verifier is not None:
                # Without a challenge a verifier proves nothing; accepting it would let a
                # downgraded request look protected.
                raise OAuthError(
                    "invalid_grant",
                    "A code_verifier was sent but the authorization request had no code_challenge.",
                )
            grant_id = secrets.token_urlsafe(16)
            self._codes[code] = replace(record, used=True, grant_id=grant_id)
            self._grants[grant_id] = _Grant(
                client.client_id, request.member_position, request.scopes
            )
            self._grant_tokens[grant_id] = []
            return self._issue_locked(
                grant_id, client.client_id, request.scopes, with_refresh=self._issue_refresh_tokens
            )

    def _refresh_grant(self, client: Client, form: Params) -> TokenResponse:
        presented = _param(form, "refresh_token")
        if presented is None:
            raise OAuthError("invalid_request", "The refresh_token parameter is required.")
        requested = _param(form, "scope")
        with self._lock:
            record = self._refresh.get(presented)
            if record is None or record.client_id != client.client_id:
                raise OAuthError("invalid_grant", "The refresh token is not valid.")
            grant = self._grants[record.grant_id]
            if record.revoked or grant.revoked:
                raise OAuthError("invalid_grant", "The refresh token has been revoked.")
            if record.rotated:
                # Rotation turns a replayed refresh token into evidence of theft: the legitimate
                # holder and the thief cannot both have the newest one, so the whole grant goes.
                self._reuse_detections += 1
                self._revoke_grant_locked(record.grant_id)
                raise OAuthError(
                    "invalid_grant",
                    "The refresh token was already used; the grant has been revoked.",
                )
            scopes = grant.scopes
            if requested is not None:
                narrowed = split_scope(requested)
                # RFC 6749 §6: a refresh may narrow the scope, never widen it.
                if not set(narrowed) <= set(grant.scopes):
                    raise OAuthError(
                        "invalid_scope", "The requested scope exceeds the scope originally granted."
                    )
                scopes = narrowed
            self._refresh[presented] = replace(record, rotated=True)
            self._refresh_count += 1
            return self._issue_locked(record.grant_id, client.client_id, scopes, with_refresh=True)

    def _issue_locked(
        self, grant_id: str, client_id: str, scopes: tuple[str, ...], *, with_refresh: bool
    ) -> TokenResponse:
        access = secrets.token_urlsafe(32)
        self._access[access] = _AccessToken(grant_id, client_id, scopes, self._clock() + self._ttl)
        self._secrets_seen.add(access)
        self._grant_tokens[grant_id].append(access)
        refresh: str | None = None
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _RefreshToken(grant_id, client_id)
            self._secrets_seen.add(refresh)
            self._grant_tokens[grant_id].append(refresh)
        return TokenResponse(access, max(1, math.ceil(self._ttl)), join_scope(scopes), refresh)

    def _revoke_grant_locked(self, grant_id: str) -> None:
        grant = self._grants.get(grant_id)
        if grant is None:
            return
        self._grants[grant_id] = replace(grant, revoked=True)
        for token in self._grant_tokens.get(grant_id, []):
            self._revoke_token_locked(token)

    def _revoke_token_locked(self, token: str) -> None:
        if token in self._access:
            self._access[token] = replace(self._access[token], revoked=True)
        elif token in self._refresh:
            self._refresh[token] = replace(self._refresh[token], revoked=True)
        else:
            return
        self._revoked.add(token)

    # -- revocation endpoint (RFC 7009) ----------------------------------------------------

    def revoke(self, form: Params, basic: tuple[str, str] | None) -> None:
        _reject_repeated_parameters(form)
        client = self._authenticate_client(form, basic)
        token = _param(form, "token")
        if token is None:
            raise OAuthError("invalid_request", "The token parameter is required.")
        # RFC 7009 §2.1: token_type_hint only speeds up the search, so it may be ignored.
        with self._lock:
            access = self._access.get(token)
            refresh = self._refresh.get(token)
            # RFC 7009 §2.2: unknown tokens, and tokens of other clients, get a plain 200 so the
            # answer says nothing about which tokens exist.
            if access is not None and access.client_id == client.client_id:
                self._revoke_token_locked(token)
            elif refresh is not None and refresh.client_id == client.client_id:
                # §2.1: revoking a refresh token should also end the grant's access tokens.
                self._revoke_grant_locked(refresh.grant_id)

    # -- resource servers --------------------------------------------------------------

    def check_access(self, token: str) -> AccessContext:
        with self._lock:
            record = self._access.get(token)
            if record is None:
                raise InvalidAccessToken("The access token is not valid.")
            if record.revoked or self._grants[record.grant_id].revoked:
                raise InvalidAccessToken("The access token has been revoked.")
            if self._clock() >= record.expires_at:
                raise InvalidAccessToken("The access token has expired.")
            grant = self._grants[record.grant_id]
        member = self._directory.at(grant.member_position)
        if member is None:
            raise InvalidAccessToken("The member behind this access token no longer exists.")
        return AccessContext(record.client_id, member, frozenset(record.scopes))

    # -- observation, for tests --------------------------------------------------------

    @property
    def refresh_count(self) -> int:
        with self._lock:
            return self._refresh_count

    @property
    def reuse_detections(self) -> int:
        """How many times a used refresh token came back (each revoked its grant)."""
        with self._lock:
            return self._reuse_detections

    @property
    def token_requests(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(entry) for entry in self._token_requests]

    def is_token_active(self, token: str) -> bool:
        with self._lock:
            access = self._access.get(token)
            if access is not None:
                return (
                    not access.revoked
                    and not self._grants[access.grant_id].revoked
                    and self._clock() < access.expires_at
                )
            refresh = self._refresh.get(token)
            if refresh is not None:
                return (
                    not refresh.revoked
                    and not refresh.rotated
                    and not self._grants[refresh.grant_id].revoked
                )
            return False

    def revoked_tokens(self) -> set[str]:
        with self._lock:
            return set(self._revoked)

    def secrets_seen(self) -> set[str]:
        """Every code and token issued and every PKCE verifier received: canaries for tests."""
        with self._lock:
            return set(self._secrets_seen)

    def expire_access_tokens(self) -> None:
        with self._lock:
            now = self._clock()
            for token, record in list(self._access.items()):
                self._access[token] = replace(record, expires_at=min(record.expires_at, now))


def _error_location(
    redirect_uri: str, error: str, description: str, state: str | None, issuer: str
) -> str:
    # RFC 6749 §4.1.2.1 error fields, plus iss (RFC 9207 §2), which error responses carry too.
    pairs = [("error", error), ("error_description", description)]
    if state is not None:
        pairs.append(("state", state))
    pairs.append(("iss", issuer))
    return _with_query(redirect_uri, pairs)


def _reject_repeated_parameters(form: Params) -> None:
    """RFC 6749 section 3.2: request parameters must not be included more than once."""
    try:
        for name in form:
            _param(form, name)
    except _DuplicateParameter as exc:
        raise OAuthError(
            "invalid_request", f"The parameter {exc} was given more than once."
        ) from None
