"""Allow ``python -m mightycli``."""

from __future__ import annotations

import sys

from mightycli.entry import main

if __name__ == "__main__":
    sys.exit(main())
