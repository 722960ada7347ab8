"""The starvation tests' burst: many waiting requests, probes meanwhile."""

import os
import threading
import time


def timed(call):
    """(seconds, status) of ``call()``; a timeout counts as its time.

    ``call`` returns a :class:`tests.support.client.Response`.
    """
    started = time.monotonic()
    try:
        status = call().status
    except OSError as error:
        status = type(error).__name__
    return time.monotonic() - started, status


def waiting_burst(waiter, count, probes, limit, interval=0.2,
                  barrier_timeout=30, join_timeout=60):
    """Send ``waiter(n)`` for n < ``count`` at once; probe while they run.

    :param probes: ``{name: call}``; each call is timed (:func:`timed`)
        every ``interval`` seconds until every waiter has its answer or
        ``limit`` seconds have passed; then each waiter's thread is
        given ``join_timeout`` seconds more.
    :returns: (the waiters' responses, None where a waiter got none;
        ``{name: [(seconds, status), ...]}``; seconds the burst took).
    """
    results = [None] * count
    start = threading.Barrier(count + 1, timeout=barrier_timeout)

    def run_waiter(n):
        start.wait()
        results[n] = waiter(n)

    threads = [threading.Thread(target=run_waiter, args=(n,), daemon=True)
               for n in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.monotonic()
    samples = {name: [] for name in probes}
    time.sleep(interval)
    while (any(t.is_alive() for t in threads)
           and time.monotonic() - started < limit):
        for name, probe in probes.items():
            samples[name].append(timed(probe))
        time.sleep(interval)
    for thread in threads:
        thread.join(join_timeout)
    return results, samples, time.monotonic() - started


def statuses(results):
    """The waiters' statuses (None where a waiter got no answer)."""
    return [r.status if r else None for r in results]


def burst_figures(results, samples, seconds):
    """The figures a starvation test records for one burst."""
    codes = statuses(results)
    return dict(
        served=codes.count(200), refused_429=codes.count(429),
        probes=len(next(iter(samples.values()))),
        seconds=round(seconds, 1), load=os.getloadavg(),
        **{'%s_max_s' % name: round(max(s for s, _ in probe_samples), 3)
           for name, probe_samples in samples.items()})


def assert_responsive(test, results, samples, target_seconds):
    """Every probe answered 200 within the target; waiters 200 or 429.

    Some waiters must have been served and some refused (429).
    """
    for name, probe_samples in samples.items():
        test.assertTrue(probe_samples, name)
        for seconds, status in probe_samples:
            test.assertEqual(200, status, (name, probe_samples))
            test.assertLess(seconds, target_seconds, (name, probe_samples))
    codes = statuses(results)
    test.assertEqual(set(), set(codes) - {200, 429}, codes)
    test.assertGreater(codes.count(429), 0, codes)
    test.assertGreater(codes.count(200), 0, codes)
