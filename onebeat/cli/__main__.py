"""``python -m onebeat.cli``."""

import sys

from onebeat.cli.main import main

sys.exit(main())
