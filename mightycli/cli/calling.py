"""The commands scripts call in loops (token, whoami, api), free of Typer.

The fast entry point (``mightycli.entry``) runs these functions straight from the argument
vector, and the Typer commands in ``mightycli.cli.calls`` run the same functions once Typer
has parsed the same arguments, so both routes behave alike. Each imports only what it needs,
when it needs it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from mightycli.cli import output
from mightycli.environment import Env
from mightycli.errors import MightyError, UsageError


def print_token(*, network: str | None, admin: bool) -> None:
    """Print the access token (renewed first if it is about to expire) and a newline."""
    from mightycli.session import Api, open_session

    session = open_session(network, api=Api.ADMIN if admin else Api.ANY)
    sys.stdout.write(session.valid_token().access_token + "\n")
    sys.stdout.flush()


def show_whoami(*, network: str | None, as_json: bool, jq: str | None) -> None:
    """Who the stored login (or MIGHTY_TOKEN) belongs to: lines for people, or JSON."""
    as_json = output.use_jq(jq) is not None or as_json
    from mightycli.api import whoami as fetch_whoami
    from mightycli.session import open_session

    session = open_session(network)
    identity = fetch_whoami(session)
    if as_json:
        output.emit_json(
            {
                "network": session.network,
                "network_title": identity.network_title,
                "network_id": identity.network_id,
                "id": identity.user_id,
                "name": identity.name,
                "first_name": identity.first_name,
                "last_name": identity.last_name,
                "display_name": identity.display_name,
                "email": identity.email,
                "role": identity.role,
            }
        )
        return
    network_label = (
        f"{identity.network_title} ({session.network})"
        if identity.network_title
        else session.network
    )
    lines = [identity.display_name]
    if identity.email:
        lines.append(f"  e-mail:   {identity.email}")
    if identity.role:
        lines.append(f"  role:     {identity.role}")
    lines.append(f"  network:  {network_label}")
    if session.from_environment:
        lines.append(f"  (credentials from {Env.TOKEN})")
    output.emit_lines(lines)


def call_api(
    *,
    endpoint: str,
    method: str | None,
    raw_field: list[str] | None,
    typed_field: list[str] | None,
    header: list[str] | None,
    query_file: str | None,
    input_file: str | None,
    include: bool,
    silent: bool,
    paginate: bool,
    slurp: bool,
    timeout: float,
    max_wait: float,
    network: str | None,
    jq: str | None,
) -> None:
    """One GraphQL or Admin API call (every page of it with --paginate), written as it arrives."""
    from mightycli import call
    from mightycli import fields as fieldmod

    jq_filter = output.use_jq(jq)
    from mightycli.config import check_seconds

    check_seconds(timeout, "--timeout")
    if not max_wait >= 0:  # also refuses nan
        raise UsageError("--max-wait must be zero or more seconds.")
    stdin = StdinOnce()

    def read_stdin() -> str:
        return output.utf8_text(stdin.read("an @- field"), "@- field")

    fields = [fieldmod.parse_field(f, typed=False) for f in raw_field or []]
    typed = typed_field or []
    fields += [fieldmod.parse_field(f, typed=True, read_stdin=read_stdin) for f in typed]
    options = call.CallOptions(
        endpoint=endpoint,
        method=method,
        fields=fields,
        headers=[fieldmod.parse_header(h) for h in header or []],
        query_file=query_file,
        input_file=input_file,
        paginate=paginate or slurp,
        network=network,
    )
    prepared = call.prepare(options, stdin.source)
    for warning in prepared.warnings:
        output.say(warning, style="yellow")
    writer = ResponseWriter(slurp=slurp, silent=silent, include=include, jq=jq_filter)
    send_call(prepared, writer, timeout=timeout, max_wait=max_wait)


# --------------------------------------------------------------------------- api output


def data_goes_elsewhere() -> bool:
    """Whether stdout surely does not reach the terminal stderr is on: a file, /dev/null or
    another terminal. A pipe may well (``| head`` and ``| jq`` write to this very terminal),
    so it counts as the same."""
    import os
    import stat

    try:
        out, err = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's capture)
        return False
    if stat.S_ISREG(out.st_mode):
        return True
    return stat.S_ISCHR(out.st_mode) and out.st_rdev != err.st_rdev


class PageProgress:
    """Pages and items fetched so far, live on stderr (rich), for --paginate and --slurp when
    stderr is a terminal and the data surely goes elsewhere (``data_goes_elsewhere``); nothing
    otherwise, so the line never overwrites the data. It ends showing the final counts."""

    def __init__(self) -> None:
        self.pages = self.items = 0
        self.live: Any = None

    def add(self, items: int) -> None:
        self.pages += 1
        self.items += items
        text = f"Fetched {self.pages} page{'s' * (self.pages != 1)}, {self.items} items"
        if self.live is None:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            console = output.stderr_console()
            self.live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
            )
            self.task = self.live.add_task(text, total=None)
            output.LIVE["console"] = console
            self.live.start()
        self.live.update(self.task, description=text)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
            output.LIVE.clear()


class ResponseWriter:
    """Writes response bodies to stdout: as they came into a pipe (with a final newline),
    pretty and coloured JSON on a terminal, one JSON item per line when paginating (each item
    pretty on a terminal), one array with --slurp, and --jq's results instead when given."""

    def __init__(self, *, slurp: bool, silent: bool, include: bool, jq: Any = None) -> None:
        self.slurp, self.silent, self.include, self.jq = slurp, silent, include, jq
        self.pretty = sys.stdout.isatty()
        show = sys.stderr.isatty() and not include and data_goes_elsewhere()
        self.progress = PageProgress() if show else None
        self.collected: list[Any] = []
        self.out = sys.stdout.buffer
        # One encoder for every item: json.dumps with options builds a new one per call.
        self.encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def page(self, response: Any, items: list[Any] | None, body: Any, failed: bool) -> None:
        if self.include:
            head = [f"{response.http_version} {response.status_code} {response.reason_phrase}"]
            head += [f"{name}: {value}" for name, value in response.headers.multi_items()]
            sys.stderr.write("\n".join(output.for_people(line) for line in head) + "\n\n")
            sys.stderr.flush()
        if self.progress is not None and items is not None:
            self.progress.add(len(items))
        if self.silent:
            return
        if items is None:  # not a list page (or an error): the body as it came
            self._body(response.content, body, failed)
        elif self.slurp:
            self.collected.extend(items)
        else:
            self._items(items)
        self.out.flush()

    def _items(self, items: list[Any]) -> None:
        from mightycli.jqfilter import JqError

        try:
            self._each_item(items)
        except JqError as error:  # gh's habit: a filter written for the page, not the item
            raise JqError(
                error.message,
                hint=f"With --paginate the filter runs on each item, not on the page (.email, "
                f"not .items[].email); --slurp runs it once on the array of all items. "
                f"{error.hint or ''}".strip(),
            ) from None

    def _each_item(self, items: list[Any]) -> None:
        if self.jq is not None:
            self.out.write("".join(self.jq.lines(item) for item in items).encode("utf-8"))
        elif self.pretty:
            for item in items:
                self._show(item)
        else:
            encode = self.encoder.encode
            self.out.write("".join(encode(item) + "\n" for item in items).encode("utf-8"))

    def _show(self, value: Any) -> None:
        """A value for a person: through --jq when given, else pretty JSON."""
        self.out.flush()
        if self.jq is not None:
            output.emit_jq(self.jq, value)
        else:
            output.pretty_json(value)
        sys.stdout.flush()

    def _body(self, content: bytes, body: Any, failed: bool) -> None:
        """A whole answer: filtered when it succeeded and --jq is given, else as it came."""
        if self.jq is not None and not failed:
            if body is None and content:
                raise MightyError("--jq: the response is not JSON; nothing was printed.")
            self._show(body)
            return
        if self.pretty and content:
            from mightycli.http import decode_json

            parsed = decode_json(content)
            if parsed is not None:
                try:
                    self._show(parsed)
                    return
                except RecursionError:
                    pass
        self.out.write(content)
        if content and not content.endswith(b"\n"):
            self.out.write(b"\n")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()

    def finish(self) -> None:
        self.close()
        if not self.slurp or self.silent:
            return
        if self.pretty or self.jq is not None:
            self._show(self.collected)
        else:
            self.out.write((json.dumps(self.collected, ensure_ascii=False) + "\n").encode())
            self.out.flush()


class StdinOnce:
    """Standard input, for one purpose only: an @- field, --query-file - or --input -."""

    def __init__(self) -> None:
        self.taken: str | None = None

    def read(self, purpose: str) -> bytes:
        if self.taken is not None:
            raise UsageError(f"Standard input is already used for {self.taken}.")
        self.taken = purpose
        return sys.stdin.buffer.read()

    def source(self, name: str, purpose: str) -> bytes:
        """A file's bytes, or standard input's for ``-``."""
        if name == "-":
            return self.read(purpose)
        try:
            with open(name, "rb") as file:
                return file.read()
        except OSError as exc:
            raise UsageError(f"Cannot read {name!r}: {exc.strerror}") from exc


def send_call(prepared: Any, writer: ResponseWriter, *, timeout: float, max_wait: float) -> None:
    """Send the call page by page, writing each page as it arrives; raise what failed."""
    from mightycli import retry
    from mightycli.auth import BearerAuth
    from mightycli.http import make_http_client

    policy = retry.RetryPolicy(max_wait=max_wait)
    auth = BearerAuth(prepared.session)
    failure: MightyError | None = None
    with auth.attach(make_http_client(auth=auth, timeout=timeout)) as client:
        pages = prepared.pages(client, policy, output.say)
        try:
            for page in pages:
                response, body = page.response, page.body
                failure = prepared.failure(response, body)
                listed = prepared.paginate and failure is None and body is not None
                items = prepared.items(body) if listed else None
                writer.page(response, items, body, failed=failure is not None)
                if failure is not None:
                    break
            writer.finish()
        except BrokenPipeError:
            output.stdout_gone()  # stop fetching
            return
        finally:
            writer.close()
            pages.close()
    if failure is not None:
        raise failure


def list_items(**values: Any) -> None:
    """A list command (``mighty members list``): see ``mightycli.cli.listing``."""
    from mightycli.cli.listing import list_items as run

    run(**values)
