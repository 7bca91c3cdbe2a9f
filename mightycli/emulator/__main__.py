"""Run the emulator on its own: python -m mightycli.emulator [--port 8080] [--auto-approve]."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import (
    ADMIN_API_TOKEN,
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
    PUBLIC_CLIENT_ID,
    Emulator,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mightycli.emulator",
        description="Serve a local Mighty Networks (OAuth, Headless API, Admin API).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--auto-approve", action="store_true", help="skip the consent page")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="URI",
        help=f"register a redirect URI (repeatable; default {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument("--access-token-ttl", type=float, default=3600.0, metavar="SECONDS")
    parser.add_argument("--no-refresh-tokens", action="store_true")
    parser.add_argument("--advertise-revocation", action="store_true")
    parser.add_argument("--extra-members", type=int, default=0, metavar="N")
    parser.add_argument("--signed-in-member", metavar="NAME")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    emulator = Emulator(
        args.host,
        args.port,
        auto_approve=args.auto_approve,
        access_token_ttl=args.access_token_ttl,
        issue_refresh_tokens=not args.no_refresh_tokens,
        redirect_uris=tuple(args.redirect_uris or (DEFAULT_REDIRECT_URI,)),
        advertise_revocation=args.advertise_revocation,
        extra_members=args.extra_members,
        signed_in_member=args.signed_in_member,
        quiet=args.quiet,
    )
    # These are the emulator's fixed, public test credentials, not secrets of any real account.
    print(
        f"Mighty Networks emulator at {emulator.url}\n"
        f"  public client:       {PUBLIC_CLIENT_ID}\n"
        f"  confidential client: {CONFIDENTIAL_CLIENT_ID} / {CONFIDENTIAL_CLIENT_SECRET}\n"
        f"  admin API token:     {ADMIN_API_TOKEN}\n"
        "Press Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
