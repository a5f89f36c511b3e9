"""``python -m solvers``: the same command line as ``solve``."""

import sys

from solvers.cli import main

sys.exit(main())
