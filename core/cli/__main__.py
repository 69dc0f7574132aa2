"""``python -m answerprint.core.cli`` runs the command line (what the Resolve menu scripts call)."""
import sys

from . import main

sys.exit(main())
