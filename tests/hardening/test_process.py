"""The real ``vmact-api`` process: graceful stop, and a bounded load test.

Both start the console script (keystone strategy, nova agents) against
the fake Keystone and fake Nova in this process, on loopback only.

Load profile (environment): ``VMACT_LOAD_REQUESTS`` (default 600),
``VMACT_LOAD_CLIENTS`` (16), ``VMACT_LOAD_SECONDS`` (time cap, 90);
``tox -e load`` raises them.
"""

import collections
import json
import os
import socket
import threading
import time

from oslotest import base as oslotest_base
import psutil
import requests

from tests.hardening import base
from tests.hardening import figures

MIB = 1024 * 1024


class GracefulStopTest(oslotest_base.BaseTestCase):
    """SIGTERM while a batch is in flight."""

    servers = ['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5']
    shutdown_timeout = 20

    def test_sigterm_lets_the_batch_finish(self):
        cloud = self.useFixture(base.FakeCloud())
        vmact = self.useFixture(base.VmactProcess(
            cloud, shutdown_timeout=self.shutdown_timeout, deadline=30,
            read_timeout=30))
        cloud.nova.add_fault(method='POST', delay=2.0)
        token = cloud.token()
        result = {}

        def batch():
            result['response'] = requests.post(
                vmact.url + '/mana_api/vm_act', timeout=60,
                headers={'X-Auth-Token': token},
                data=json.dumps({'tenant_id': base.TENANT,
                                 'region': 'RegionOne',
                                 'servers': self.servers,
                                 'os-stop': None}))

        client = threading.Thread(target=batch)
        client.start()
        self.assertTrue(base.wait_for(
            lambda: len(cloud.nova.calls('POST')) == len(self.servers),
            timeout=20), vmact.output())
        stopped_at = time.monotonic()
        vmact.terminate()
        refused = base.wait_for(lambda: self._refused(vmact.port),
                                timeout=1.5, interval=0.02)
        refused_in_flight = refused and cloud.nova.in_flight() > 0
        client.join(60)
        exit_code = vmact.popen.wait(self.shutdown_timeout + 15)
        elapsed = time.monotonic() - stopped_at
        response = result.get('response')
        figures.record('graceful_stop', status=getattr(
            response, 'status_code', None), exit_code=exit_code,
            seconds_to_exit=round(elapsed, 2),
            refused_while_in_flight=bool(refused_in_flight))
        self.assertIsNotNone(response, vmact.output())
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(0, exit_code, vmact.output())
        self.assertLess(elapsed, self.shutdown_timeout + 10)
        self.assertTrue(refused_in_flight,
                        'new connections were accepted during shutdown')
        calls = cloud.nova.calls()
        self.assertEqual(sorted(self.servers),
                         sorted(c.server for c in calls))
        self.assertEqual({202}, {c.answered for c in calls})

    @staticmethod
    def _refused(port):
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return False
        except ConnectionRefusedError:
            return True
        except OSError:
            return False


class LoadTest(oslotest_base.BaseTestCase):
    """Many concurrent clients, mixed valid and invalid requests."""

    requests_total = int(os.environ.get('VMACT_LOAD_REQUESTS', '600'))
    clients = int(os.environ.get('VMACT_LOAD_CLIENTS', '16'))
    time_cap = float(os.environ.get('VMACT_LOAD_SECONDS', '90'))
    pool = ['ld-%d' % n for n in range(240)]

    def plan(self, index, tokens):
        """(kind, headers, body bytes, servers acted on when valid)."""
        token = tokens[index % len(tokens)]
        kind = index % 10
        servers = [self.pool[(index * 3 + k) % len(self.pool)]
                   for k in range(3)]
        body = {'tenant_id': base.TENANT, 'region': 'RegionOne',
                'servers': servers, 'reboot': {'type': 'SOFT'}}
        headers = {'X-Auth-Token': token}
        if kind == 6:
            headers['Sp-Agent'] = base.SERVICE_AGENT
        elif kind == 7:
            return 'bad_json', headers, b'{"servers": [', ()
        elif kind == 8:
            body['servers'] = servers[:2] + ['../%s' % servers[2]]
            return 'bad_id', headers, json.dumps(body).encode(), ()
        elif kind == 9:
            if index % 20 == 9:
                headers['Sp-Agent'] = 'nope'
            else:
                headers['X-Auth-Token'] = 'expired-%d' % (index % 7)
            return 'rejected', headers, json.dumps(body).encode(), ()
        return 'valid', headers, json.dumps(body).encode(), servers

    def test_bounded_load(self):
        cloud = self.useFixture(base.FakeCloud())
        cloud.nova.add_servers(self.pool, base.TENANT)
        vmact = self.useFixture(base.VmactProcess(
            cloud, server_threads=self.clients, debug=False))
        tokens = [cloud.token() for _ in range(8)]
        process = psutil.Process(vmact.popen.pid)
        rss = {'start': process.memory_info().rss, 'peak': 0}
        done = collections.Counter()
        expected = collections.Counter()
        errors = collections.Counter()
        lock = threading.Lock()
        next_index = iter(range(self.requests_total))
        started = time.monotonic()
        stop_sampling = threading.Event()

        def sample():
            while not stop_sampling.wait(0.1):
                now = process.memory_info().rss
                with lock:
                    rss['peak'] = max(rss['peak'], now)
                    served = done['served']
                if served >= self.requests_total // 2 and 'half' not in rss:
                    rss['half'] = now

        def client():
            session = requests.Session()
            while time.monotonic() - started < self.time_cap:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    break
                kind, headers, body, servers = self.plan(index, tokens)
                try:
                    response = session.post(
                        vmact.url + '/mana_api/vm_act', data=body,
                        headers=headers, timeout=60)
                except requests.RequestException as error:
                    with lock:
                        done['transport_errors'] += 1
                        errors[kind + ': ' + type(error).__name__ + ': '
                               + str(error)[-120:]] += 1
                    continue
                with lock:
                    done['served'] += 1
                    done['%s_%d' % (kind, response.status_code)] += 1
                    if response.status_code >= 500:
                        done['gateway_5xx'] += 1
                    if kind == 'valid' and response.status_code == 200:
                        expected.update(servers)
                    elif kind == 'valid':
                        body = response.json()
                        expected.update(body.get('succeeded', ()))
                        errors.update('%s: %s' % (f['code'], f['msg'][:120])
                                      for f in body.get('failures', ()))
            session.close()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        workers = [threading.Thread(target=client)
                   for _ in range(self.clients)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(self.time_cap + 120)
        elapsed = time.monotonic() - started
        stop_sampling.set()
        sampler.join()
        rss['final'] = process.memory_info().rss
        rss.setdefault('half', rss['final'])
        received = cloud.nova.action_counts()
        lost = sum(max(0, expected[s] - received[s]) for s in expected)
        duplicated = sum(max(0, received[s] - expected[s])
                         for s in received)
        figures.record(
            'load', requests_planned=self.requests_total,
            clients=self.clients, seconds=round(elapsed, 1),
            served=done['served'], gateway_5xx=done['gateway_5xx'],
            transport_errors=done['transport_errors'],
            error_kinds=dict(errors.most_common(6)),
            actions_expected=sum(expected.values()),
            actions_received=sum(received.values()),
            actions_lost=lost, actions_duplicated=duplicated,
            rss_start_mib=round(rss['start'] / MIB, 1),
            rss_half_mib=round(rss['half'] / MIB, 1),
            rss_peak_mib=round(rss['peak'] / MIB, 1),
            rss_final_mib=round(rss['final'] / MIB, 1),
            by_kind_status=dict(sorted(
                (k, v) for k, v in done.items() if '_' in k
                and k[-3:].isdigit())))
        self.assertEqual(self.requests_total, done['served'],
                         'stopped by the time cap of %ss' % self.time_cap)
        self.assertEqual(0, done['gateway_5xx'])
        self.assertEqual(0, done['transport_errors'],
                         (dict(errors), vmact.output()[-3000:]))
        self.assertEqual(0, lost)
        self.assertEqual(0, duplicated)
        valid = sum(v for k, v in done.items() if k.startswith('valid_'))
        self.assertEqual(valid, done['valid_200'])
        self.assertLessEqual(rss['final'] - rss['half'],
                             max(16 * MIB, rss['half'] // 10))
