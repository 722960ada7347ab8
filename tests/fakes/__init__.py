"""Fake OpenStack services on loopback, for tests and benchmarks.

:mod:`tests.fakes.nova` is a fault-injecting fake Nova (server show and
server actions) that records every request it receives;
:mod:`tests.fakes.keystone` is a small fake Keystone (v3 password
authentication, token validation, a catalog pointing at the fake Nova).
Both are real threaded HTTP servers bound to 127.0.0.1 on a free port,
usable as context managers or fixtures.
"""
