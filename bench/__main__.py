"""``python -m bench [NAME [ARGS...]]``: run one benchmark, or list them.

.venv/bin/python -m bench throughput --n 10000
bench/run.sh            # every benchmark, one after the other
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("throughput", "startup", "manifest_scale", "gui_lag", "nextjs_throughput", "hostile")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(__doc__.strip())
        print("benchmarks:", ", ".join(BENCHMARKS))
        return 0 if not argv else 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"bench.{name}")
    sys.argv = [f"bench.{name}", *rest]
    result = module.main()
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
