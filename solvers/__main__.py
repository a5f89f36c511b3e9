"""``python -m solvers``: the same command line as ``solve``."""

import sys

from solvers.cli.main import main

sys.exit(main())
