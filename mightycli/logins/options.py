"""What a login asks for: the one value the browser flow, the pending login and the saving
read. (Its own module so that saving, which the flow calls, needs nothing from the flow.)"""

from __future__ import annotations

from dataclasses import dataclass

from mightycli import config, oauth


@dataclass(frozen=True)
class LoginOptions:
    network: str  # the key logins are filed under: subdomain or numeric id
    issuer: str
    api_url: str
    client: oauth.ClientCredentials
    scopes: tuple[str, ...]
    redirect_uri: str = config.DEFAULT_REDIRECT_URI
    timeout: float = config.DEFAULT_LOGIN_TIMEOUT
    open_browser: bool = True
    # Keep a confidential application's secret in the store with the login, so refreshes need
    # no environment variable (when it came from MIGHTY_CLIENT_SECRET, the environment keeps it).
    keep_secret: bool = False


__all__ = ["LoginOptions"]
