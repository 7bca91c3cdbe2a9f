"""The few HTML pages the emulator shows to a person (or to the stand-in browser).

Every value that reaches a page goes through html.escape: request parameters are
attacker-controlled.
"""

from __future__ import annotations

from html import escape

from .authorization import ConsentPrompt
from .scopes import SCOPE_DESCRIPTIONS, is_host_scope

DECISION_PATH = "/oauth/authorize/decision"

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f2fb; color: #1d1b29; margin: 0; }
main { max-width: 32rem; margin: 3rem auto; background: #fff; border-radius: 12px;
       padding: 2rem; box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }
h1 { font-size: 1.35rem; margin-top: 0; }
ul { padding-left: 1.2rem; }
li { margin: .35rem 0; }
code { background: #eeeaf7; padding: 0 .25rem; border-radius: 4px; }
.muted { color: #5f5b70; font-size: .9rem; }
.host { color: #8a2c0d; font-weight: 600; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
button { font: inherit; padding: .6rem 1.4rem; border-radius: 8px; border: 1px solid #5b3fd1;
         cursor: pointer; }
#approve { background: #5b3fd1; color: #fff; }
#deny { background: #fff; color: #5b3fd1; }
""".strip()


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def consent_page(prompt: ConsentPrompt) -> str:
    if prompt.scopes:
        items = "\n".join(
            f"<li><code>{escape(scope)}</code> {escape(SCOPE_DESCRIPTIONS.get(scope, ''))}"
            + (' <span class="host">(host)</span>' if is_host_scope(scope) else "")
            + "</li>"
            for scope in prompt.scopes
        )
        scope_block = f"<p>It asks to:</p>\n<ul>\n{items}\n</ul>"
    else:
        scope_block = "<p>It asks for no extra permissions, only to know who you are.</p>"
    body = f"""<h1>Authorize {escape(prompt.client_name)}</h1>
<p><strong>{escape(prompt.client_name)}</strong> wants to access
<strong>{escape(prompt.network_title)}</strong> as you.</p>
<p class="muted">Signed in as <strong>{escape(prompt.member_name)}</strong>
({escape(prompt.member_role.lower())}).</p>
{scope_block}
<p class="muted">You will then be sent back to <code>{escape(prompt.redirect_uri)}</code>.</p>
<form id="consent-form" method="post" action="{DECISION_PATH}">
<input type="hidden" name="consent" value="{escape(prompt.consent_id)}">
<div class="actions">
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</div>
</form>"""
    return _document(f"Authorize {prompt.client_name}", body)


def error_page(title: str, message: str) -> str:
    body = f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>"
    return _document(title, body)


def redirect_page(location: str) -> str:
    body = (
        f'<h1>Redirecting</h1>\n<p>Continue to <a href="{escape(location)}">'
        "the application</a>.</p>"
    )
    return _document("Redirecting", body)


def bot_challenge_page() -> str:
    body = (
        "<h1>Checking your browser</h1>\n"
        "<p>This request was blocked because it did not identify its client. "
        "Send a User-Agent header.</p>"
    )
    return _document("Just a moment...", body)
