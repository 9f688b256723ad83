"""`python -m bench <name> [options]`: run one benchmark and print a Markdown table.

    migrations   /admin/migrations/ p50/p95 with 4 reachable environments and with one
                 unreachable (bench/migrations_page.py)
    dashboard    dashboard functions and GET /admin/ p50/p95 and SQL statements on a
                 generated history (~1.6 M rows) in SQLite and PostgreSQL (bench/dashboard.py)
    lists        list screens, forms and exports at 1 M rows under gunicorn, ours against
                 stock Flask-Admin, SQLite and PostgreSQL (bench/lists.py)
    transfer     import preview/apply rows/s and peak memory at 10,000 and 100,000 lines,
                 export of 1 M products (CSV, XLSX), ours against a naive baseline, SQLite
                 and PostgreSQL (bench/transfer.py)
    restore      a list's trash page (page 1, search) and restores (deleted record, earlier
                 version) p50/p95 at 1 M audit entries and at 10,000, SQLite and
                 PostgreSQL (bench/restore.py)
"""

import sys

BENCHMARKS = {
    "migrations": "bench.migrations_page",
    "dashboard": "bench.dashboard",
    "lists": "bench.lists",
    "transfer": "bench.transfer",
    "restore": "bench.restore",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(__doc__.strip())
        print("\navailable: " + ", ".join(sorted(BENCHMARKS)))
        return 2
    from importlib import import_module

    return import_module(BENCHMARKS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
