
import os as _os
import tempfile as _tempfile

import pytest as _pytest

# The worker's queue in a file of this test process (admin_app/jobs/queue.py reads it on
# import): each pytest-xdist worker has its own, so a worker started by one test never
# takes another process's jobs.
_os.environ["GESTAO_JOBS_DB"] = _os.path.join(
    _tempfile.mkdtemp(prefix=f"gestao-jobs-{_os.getpid()}-"), "jobs.db")

# The shared helpers (tests/helpers/) assert too: pytest rewrites their asserts as it does the
# tests', for the same detailed failure messages.
_pytest.register_assert_rewrite("tests.helpers")
