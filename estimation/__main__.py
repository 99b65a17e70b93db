"""``python -m estimation``: see :mod:`estimation.cli`."""

from estimation.cli import main

raise SystemExit(main())
