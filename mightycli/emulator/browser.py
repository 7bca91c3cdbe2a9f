"""A tiny scripted browser that stands in for a person during a login.

It opens a URL, answers the emulator's consent form with the chosen decision, and follows
redirects by hand so it can refuse to leave the machine: only loopback hosts are visited.

    python -m mightycli.emulator.browser [--deny] URL
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
USER_AGENT = "mighty-emulator-browser/1.0"
MAX_REDIRECTS = 10
DECISIONS = ("approve", "deny")

# Elements whose content a person never sees on the page.
_HIDDEN_ELEMENTS = frozenset({"head", "title", "script", "style", "template", "noscript"})
_VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


class BrowserError(Exception):
    """The visit could not be completed."""


class BrowserConnectionError(BrowserError):
    """A page could not be fetched at all."""


@dataclass(frozen=True)
class BrowserResult:
    final_url: str
    status: int
    text: str  # the final page's visible text, whitespace collapsed

    def __repr__(self) -> str:
        # The final URL usually carries an authorization code; keep it out of reprs and logs.
        return f"BrowserResult(status={self.status}, text={self.text[:60]!r})"


@dataclass
class _Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Collects forms (with their fields and submit buttons) and the page's visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._hidden_depth = 0
        self._text: list[str] = []

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in _HIDDEN_ELEMENTS:
            self._hidden_depth += 1
        elif tag == "form":
            self._form = _Form(
                attributes.get("action", ""), attributes.get("method", "get").lower()
            )
            self.forms.append(self._form)
        elif self._form is not None and "name" in attributes:
            kind = attributes.get("type", "submit" if tag == "button" else "text").lower()
            pair = (attributes["name"], attributes.get("value", ""))
            if kind == "submit" and tag in ("button", "input"):
                self._form.buttons.append(pair)
            elif tag == "input" and kind not in (
                "button",
                "reset",
                "image",
                "file",
                "checkbox",
                "radio",
            ):
                self._form.fields.append(pair)
        if tag in _VOID_ELEMENTS:
            self._text.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN_ELEMENTS:
            self._hidden_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS and self._hidden_depth > 0:
            self._hidden_depth -= 1
        elif tag == "form":
            self._form = None
        # Block boundaries separate words, so "Approve" and "Deny" do not run together.
        self._text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            self._text.append(data)


def _require_loopback(url: httpx.URL) -> None:
    if url.scheme not in ("http", "https"):
        raise BrowserError(f"refusing to open a {url.scheme or 'relative'} URL")
    if url.host not in LOOPBACK_HOSTS:
        # Only the host is named: the rest of the URL may carry a code.
        raise BrowserError(f"refusing to leave this machine for {url.host or 'an unknown host'}")


def _consent_form(forms: Sequence[_Form], decision: str) -> tuple[_Form, tuple[str, str]] | None:
    for form in forms:
        for button in form.buttons:
            if button == ("decision", decision) and form.method == "post":
                return form, button
    return None


def visit(url: str, *, decision: str = "approve", timeout: float = 10.0) -> BrowserResult:
    """Open `url`, answer a consent form with `decision`, and return the page it ends on."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise BrowserError(f"not a URL: {exc}") from exc
    _require_loopback(target)
    # trust_env=False: proxy variables must not route loopback traffic anywhere else.
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        request = client.build_request("GET", target)
        submitted = False
        redirects = 0
        while True:
            try:
                response = client.send(request)
            except httpx.TransportError as exc:
                raise BrowserConnectionError(
                    f"could not load a page from {request.url.host}:{request.url.port}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            location = response.headers.get("location")
            if response.is_redirect and location is not None:
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise BrowserError("too many redirects")
                target = response.url.join(location)
                _require_loopback(target)
                # RFC 9110 §15.4: 307 and 308 repeat the request; the others become a GET.
                if response.status_code in (307, 308):
                    kept = {
                        name: value
                        for name, value in request.headers.items()
                        if name.lower() == "content-type"
                    }
                    request = client.build_request(
                        request.method, target, content=request.content, headers=kept
                    )
                else:
                    request = client.build_request("GET", target)
                continue
            page = _PageParser()
            content_type = response.headers.get("content-type", "")
            if "html" in content_type.lower():
                page.feed(response.text)
                page.close()
                text = page.text
            else:
                text = " ".join(response.text.split())
            found = _consent_form(page.forms, decision) if not submitted else None
            if found is not None:
                form, button = found
                submitted = True
                target = response.url.join(form.action)
                _require_loopback(target)
                request = client.build_request("POST", target, data=dict([*form.fields, button]))
                continue
            return BrowserResult(str(response.url), response.status_code, text)


# Its lines share the terminal with mighty's: this marks them as the stand-in browser's own.
LABEL = "[scripted browser]"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mightycli.emulator.browser",
        description="Open a URL on this machine and answer the emulator's consent page.",
    )
    parser.add_argument("--deny", action="store_true", help="deny instead of approving")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("url")
    args = parser.parse_args(argv)
    try:
        result = visit(args.url, decision="deny" if args.deny else "approve", timeout=args.timeout)
    except BrowserError as exc:
        print(f"{LABEL} failed: {exc}", file=sys.stderr)
        return 1
    text = result.text if len(result.text) <= 160 else result.text[:157] + "..."
    print(f"{LABEL} ended on a page with HTTP {result.status}: {text}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
