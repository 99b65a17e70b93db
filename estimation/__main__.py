"""``python -m estimation``: see :mod:`estimation.cli`.

The linear algebra runs on one thread unless the environment says otherwise: a search
multiplies many small matrices, where BLAS threads cost more CPU time than they save (on a
shared machine they also slow the wall clock), and each command is one user's process.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before numpy is imported

from estimation.cli import main  # noqa: E402

raise SystemExit(main())
