"""Figures the suite measures (inputs tried, faults, load, RSS).

Each test records its figures with :func:`record`: one JSON line is
appended to the file named by ``VMACT_HARDENING_FIGURES`` (when set) and
printed to stdout. ``tools``-free: read the file with ``cat`` or ``jq``.
"""

import json
import os
import threading

ENV = 'VMACT_HARDENING_FIGURES'
_LOCK = threading.Lock()


def record(name, **values):
    """Record ``values`` under ``name``; returns the line written."""
    line = json.dumps(dict({'figure': name}, **values), sort_keys=True)
    print(line)
    path = os.environ.get(ENV)
    if path:
        with _LOCK, open(path, 'a') as out:
            out.write(line + '\n')
    return line
