"""`python -m crawler` is the `oit` command."""

import sys

from .cli import main

sys.exit(main())
