"""The call commands: whoami, token, api. Their bodies are in ``mightycli.cli.calling``, which the
fast entry point runs too; these are their Typer declarations, for help, completion and every
argument vector the fast route declines."""

from __future__ import annotations

from typing import Annotated

import typer

from mightycli.cli import calling
from mightycli.cli.base import DebugOption, JqOption, JsonOption, NetworkOption, command


@command()
def whoami(
    network: NetworkOption = None,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Show who you are logged in as.

    \b
    Examples:
      mighty whoami
      mighty whoami --network mycommunity --json
    """
    calling.show_whoami(network=network, as_json=as_json, jq=jq)


@command()
def token(
    network: NetworkOption = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Print the Admin API token rather than the OAuth one.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Print the access token (renewed first if it is about to expire), for other tools.

    Prints the token and a newline on stdout, nothing else. Without --admin it is the OAuth
    access token when there is an OAuth login, else the Admin API token.

    \b
    Examples:
      TOKEN=$(mighty token)
      mighty token --admin --network mycommunity
    """
    calling.print_token(network=network, admin=admin)


@command()
def api(
    endpoint: Annotated[
        str,
        typer.Argument(
            metavar="ENDPOINT",
            help="graphql, an Admin API path under /admin/v1/networks/<network>/ (members, "
            "members/<id>/, spaces/<id>/members), or a full URL on the API host.",
            show_default=False,
        ),
    ],
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            "-X",
            metavar="METHOD",
            help="HTTP method: GET, or POST with --input; always POST for graphql.",
            show_default=False,
        ),
    ] = None,
    raw_field: Annotated[
        list[str] | None,
        typer.Option(
            "--raw-field",
            "-f",
            metavar="KEY=VALUE",
            help="A string parameter; for graphql, query= or a variable.",
            show_default=False,
        ),
    ] = None,
    typed_field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-F",
            metavar="KEY=VALUE",
            help="A typed parameter: true, false, null, numbers, @file (@- for stdin).",
            show_default=False,
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            metavar="'NAME: VALUE'",
            help="An extra request header.",
            show_default=False,
        ),
    ] = None,
    query_file: Annotated[
        str | None,
        typer.Option(
            "--query-file",
            metavar="FILE",
            help="Read the GraphQL query from FILE (- for stdin).",
            show_default=False,
        ),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input",
            metavar="FILE",
            help="Send FILE (- for stdin) as the request body.",
            show_default=False,
        ),
    ] = None,
    include: Annotated[
        bool, typer.Option("--include", "-i", help="Print status and headers to stderr.")
    ] = False,
    silent: Annotated[bool, typer.Option("--silent", help="Print no response body.")] = False,
    paginate: Annotated[
        bool,
        typer.Option(
            "--paginate", help="Fetch every page; print one JSON item per line as pages arrive."
        ),
    ] = False,
    slurp: Annotated[
        bool, typer.Option("--slurp", help="With pages, print all items as one JSON array.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Per-request timeout.")
    ] = 30,
    max_wait: Annotated[
        float,
        typer.Option(
            "--max-wait",
            metavar="SECONDS",
            help="Most time to spend waiting to retry, all waits together; a server asking for "
            "longer ends the call at once (exit 1) saying when to retry.",
        ),
    ] = 60,
    network: NetworkOption = None,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Make an authenticated GraphQL or Admin API call and print the response.

    GraphQL calls use your OAuth login; Admin API (REST) calls use an Admin API token stored with
    mighty login --with-token. 429, 502, 503, 504 and THROTTLED answers are retried with backoff.

    \b
    Examples:
      mighty api graphql -f query='{ me { name } }'
      mighty api graphql --query-file members.graphql --paginate
      mighty api members -f per_page=100 --paginate | head -n 5
      mighty api -X PATCH members/5000003/ -f first_name=Alan
      mighty api spaces/7001/members --slurp > members.json
      mighty api members --max-wait 10
    """
    calling.call_api(
        endpoint=endpoint,
        method=method,
        raw_field=raw_field,
        typed_field=typed_field,
        header=header,
        query_file=query_file,
        input_file=input_file,
        include=include,
        silent=silent,
        paginate=paginate,
        slurp=slurp,
        timeout=timeout,
        max_wait=max_wait,
        network=network,
        jq=jq,
    )
