"""libcloud benchmark: vmact's fan-out against a sequential libcloud loop.

Starts on 127.0.0.1 a fake EC2 query API (threaded, every answer after
``--latency`` seconds, in EC2's own XML) and stops N instances (default
100) twice, in one run:

* **sequential**: libcloud's EC2 driver, ``stop_node`` once per instance
  in a loop (what a script would do; no read, no ownership check);
* **vmact**: the ``libcloud`` backend's ``act`` for the same batch, as the
  service runs it: one filtered read (DescribeInstances and libcloud's
  DescribeAddresses), the tag checked, then one StopInstances per
  instance through the agent's fan-out.

It prints a table and writes JSON (``--output``). Run it with
``tox -e bench`` or ``python tools/bench/libcloud_bench.py``.
"""

import argparse
import collections
import http.server
import json
import os
import platform
import sys
import threading
import time
import urllib.parse

from libcloud.compute import base as lc_base
from libcloud.compute import providers
from oslo_config import cfg

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))

from vmact.backends import base  # noqa: E402
from vmact.backends import libcloud  # noqa: E402
from vmact.conf import agent as agent_conf  # noqa: E402

AGENT = 'ec2'
REGION = 'us-east-1'
TENANT = 'bench-tenant'
TAG = 'vmact-tenant'
NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'
INSTANCE = ('<item><instanceId>%s</instanceId><instanceState><name>running'
            '</name></instanceState><tagSet><item><key>' + TAG + '</key>'
            '<value>' + TENANT + '</value></item></tagSet></item>')


class FakeEC2(http.server.ThreadingHTTPServer):
    """EC2's query API: every instance running and the tenant's."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, latency):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.latency = latency
        self.calls = collections.Counter()
        self.lock = threading.Lock()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # One write per answer, sent at once: no Nagle/delayed-ACK stalls.
    wbufsize = 65536
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        action = query['Action'][0]
        with self.server.lock:
            self.server.calls[action] += 1
        time.sleep(self.server.latency)
        if action == 'DescribeInstances':
            ids = [v[0] for k, v in query.items()
                   if k.startswith('Filter.1.Value.')]
            inner = ('<reservationSet><item><instancesSet>%s</instancesSet>'
                     '</item></reservationSet>'
                     % ''.join(INSTANCE % i for i in ids))
        elif action == 'DescribeAddresses':
            inner = '<addressesSet/>'
        else:
            inner = ('<instancesSet><item><currentState><name>stopping'
                     '</name></currentState></item></instancesSet>')
        body = ('<R xmlns="%s">%s</R>' % (NS, inner)).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def backend_for(port, concurrency):
    conf = cfg.ConfigOpts()
    agent_conf.register_agent_opts(conf, AGENT,
                                   libcloud.LibcloudBackend.list_opts())
    conf([], default_config_files=[])
    for name, value in dict(
            backend='libcloud', provider='ec2', regions=[REGION],
            key='bench', secret='bench', host='127.0.0.1', port=port,
            secure=False, owner_tag=TAG, request_deadline=120,
            driver_options={'signature_version': '4'},
            max_concurrency_per_request=concurrency).items():
        conf.set_override(name, value, group=AGENT)
    return libcloud.LibcloudBackend(conf, AGENT)


def measure(fake, size, concurrency):
    ids = ['i-%017x' % n for n in range(size)]
    driver = providers.get_driver('ec2')(
        'bench', 'bench', secure=False, host='127.0.0.1',
        port=fake.server_port, region=REGION, signature_version='4')
    fake.calls.clear()
    started = time.monotonic()
    for instance in ids:
        driver.stop_node(lc_base.Node(instance, instance, None, [], [],
                                      driver))
    sequential = time.monotonic() - started
    sequential_calls = sum(fake.calls.values())

    backend = backend_for(fake.server_port, concurrency)
    target = base.Target(TENANT, REGION, tuple(ids))
    fake.calls.clear()
    started = time.monotonic()
    outcomes = backend.act(None, target, base.Action(base.STOP))
    fanned = time.monotonic() - started
    accepted = sum(1 for o in outcomes if o.code == 202)
    return {'servers': size, 'latency_s': fake.latency,
            'concurrency': concurrency,
            'sequential_s': round(sequential, 3),
            'sequential_vendor_calls': sequential_calls,
            'vmact_s': round(fanned, 3), 'vmact_accepted': accepted,
            'vmact_vendor_calls': dict(fake.calls),
            'speedup': round(sequential / fanned, 1) if fanned else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--servers', type=int, default=100)
    parser.add_argument('--latency', type=float, default=0.05,
                        help='seconds the fake EC2 takes per call')
    parser.add_argument('--concurrency', type=int, default=32,
                        help='the agent\'s max_concurrency_per_request')
    parser.add_argument('--output', default='bench-results-libcloud.json')
    args = parser.parse_args()
    fake = FakeEC2(args.latency)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        result = measure(fake, args.servers, args.concurrency)
    finally:
        fake.shutdown()
    result['load_average'] = os.getloadavg()
    result['python'] = platform.python_version()
    calls = result['vmact_vendor_calls']
    print('libcloud (EC2 driver, fake EC2 on loopback, %gs per call)'
          % args.latency)
    print('%-34s %10s %14s' % ('', 'wall (s)', 'vendor calls'))
    print('%-34s %10.3f %14d' % (
        'sequential libcloud loop, %d' % args.servers,
        result['sequential_s'], result['sequential_vendor_calls']))
    print('%-34s %10.3f %14d' % (
        'vmact fan-out (C=%d), %d' % (args.concurrency, args.servers),
        result['vmact_s'], sum(calls.values())))
    print('vmact calls: %s; accepted %d of %d; speed-up x%s; load %s'
          % (', '.join('%s %d' % kv for kv in sorted(calls.items())),
             result['vmact_accepted'], args.servers, result['speedup'],
             ' '.join('%.2f' % x for x in result['load_average'])))
    with open(args.output, 'w') as output:
        json.dump(result, output, indent=2)
    return 0 if result['vmact_accepted'] == args.servers else 1


if __name__ == '__main__':
    sys.exit(main())
