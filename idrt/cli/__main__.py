"""``python -m idrt.cli``: the ``idrt`` command."""

from idrt.cli.main import main

raise SystemExit(main())
