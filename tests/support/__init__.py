"""Test support written once, for every suite and for the benchmark.

:mod:`ports` (loopback ports and sockets), :mod:`client` (one HTTP
exchange), :mod:`processes` (start a child, wait for its port, stop it,
read its log, one service per test process), :mod:`vmact_config`
(vmact.conf from sections), :mod:`keystone` (token and discovery bodies
built with ``keystoneauth1.fixture``), :mod:`pressure` (the waiting
burst of the starvation tests). Only the standard library and
keystoneauth1: the benchmark imports it from the checkout.
"""
