"""``python -m answerprint.plugin.resolve ACTION``: the Resolve adapter's command line (see ``cli``)."""
import sys

from .cli import main

sys.exit(main())
