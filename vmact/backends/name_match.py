"""``select``'s name regex, matched within a time budget.

Python's ``re`` backtracks without limit: ``(a|aa)+$`` against a name of
a few dozen ``a`` runs for minutes, holding a worker thread (and the
GIL) of a process that serves every tenant. The patterns are compiled by
the ``regex`` package (``re``'s syntax and semantics, its version 0),
whose matching takes a timeout: one selection spends at most
:data:`BUDGET` seconds matching names, in all, else it is a 400 that
asks for a simpler pattern.
"""

import time

import regex

from vmact import exception
from vmact.exception import quote

#: Seconds one selection may spend matching server names, in all.
BUDGET = 1.0


def compile_name(pattern):
    """``pattern`` compiled; a 400 naming ``select.name`` when invalid."""
    try:
        return regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError, ValueError,
            MemoryError) as e:
        raise exception.BadRequest(
            'Field "select.name" in the request body is %s, not a valid '
            'regular expression: %s.' % (quote(pattern), quote(str(e))))


class NameMatcher(object):
    """Search one selection's names with ``pattern``, within ``budget``."""

    def __init__(self, pattern, budget=BUDGET, clock=time.monotonic):
        self.pattern = compile_name(pattern)
        self.source = pattern
        self.budget = budget
        self.clock = clock
        self.deadline = None

    def search(self, name):
        """Whether the pattern finds a match in ``name``."""
        if self.deadline is None:
            self.deadline = self.clock() + self.budget
        left = self.deadline - self.clock()
        try:
            if left <= 0:
                raise TimeoutError()
            return self.pattern.search(name, timeout=left) is not None
        except TimeoutError:
            raise exception.BadRequest(
                'Field "select.name" in the request body is %s: matching '
                'it against the servers\' names took more than %g s; use '
                'a simpler regular expression.'
                % (quote(self.source), self.budget))
