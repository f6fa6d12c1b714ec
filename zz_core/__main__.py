"""``python -m zz_core``: the command line (see zz_core.cli)."""

from zz_core.cli import main

raise SystemExit(main())
