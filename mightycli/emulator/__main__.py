"""``python -m mightycli.emulator``: the same front-end as ``mighty emulator``, same flags."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from mightycli.cli import main as run

    return run(["emulator", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
