"""vmact benchmark: fan-out, calls per action, connections, overhead.

Starts on 127.0.0.1 a fake Keystone and a fake Nova (``fake_cloud.py``,
one asyncio process), ``vmact-api`` with the ``keystone`` auth strategy
and two ``nova`` agents (``scloudm`` in token mode, the default, and
``pbs`` in service mode), and a bare WSGI app making the same
novaclient call behind the same server (``bare_app.py``). Then it
measures, in one run:

1. fan-out: N = 10, 100, 1000 servers at a per-action Nova latency L:
   vmact's wall time, a sequential python-novaclient loop (the OSC way),
   the latency bound ceil(N/C)*L for vmact's concurrency C, and the CPU
   bound (the same N calls with bare ``requests`` at concurrency C and
   zero latency);
2. Nova calls per server for each action, in token and service mode;
   Keystone validations for 1000 status reads with one token (cached:
   1), and for action requests (each validated again: 1 per request,
   ``[api] revalidate_action_tokens``) with the latency that adds,
   against a second vmact-api with that option off;
3. new TCP connections to Nova over 200 consecutive one-server requests;
4. the latency of a one-server request through the full pipeline against
   the bare app (median and p99), interleaved;
5. requests per second with 8 concurrent clients, and vmact-api's peak
   RSS while serving a 1000-server request.

It prints a table and writes JSON (``--output``). Run it with
``tox -e bench`` or ``python tools/bench/run_bench.py``.
"""

import argparse
import collections
import concurrent.futures
import http.client
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from novaclient import client as nova_client
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
# The test support of the checkout (not installed with vmact).
sys.path.insert(0, REPO_ROOT)
from tests.support import ports as support_ports  # noqa: E402
from tests.support import processes  # noqa: E402
from tests.support import vmact_config as vmact_config_sections  # noqa: E402

LOOPBACK = '127.0.0.1'
REGION = 'RegionOne'
TOKEN_AGENT = 'scloudm'
SERVICE_AGENT = 'pbs'
SERVICE_USER = 'vmact'
BENCH_USER = 'bench-user'
START_TIMEOUT = 60
HTTP_TIMEOUT = 120
ACTIONS = (('os-start', None), ('os-stop', None), ('reboot',
                                                   {'type': 'SOFT'}))
NOVACLIENT_ACTIONS = {'os-start': 'start', 'os-stop': 'stop',
                      'reboot': 'reboot'}


class BenchError(Exception):
    """The benchmark could not run (a service failed, a time limit hit)."""


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1,
                max(0, int(math.ceil(fraction * len(ordered))) - 1))
    return ordered[index]


class Deadline(object):
    """The whole run's time limit; every loop checks it."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds
        self.seconds = seconds

    def check(self, what):
        if time.monotonic() > self.at:
            raise BenchError('time limit of %ss passed during %s'
                             % (self.seconds, what))


# Child processes.

def start_child(name, argv, work_dir, capture=False):
    """Start ``argv`` with its output in ``<work_dir>/<name>.out``."""
    return processes.Child(name, argv, os.path.join(work_dir, name + '.out'),
                           cwd=work_dir, capture_stdout=capture).start()


def start_vmact(name, sections, port, work_dir):
    """Write ``<name>.conf`` and start vmact-api on it; returns at once."""
    config_file = vmact_config_sections.write(
        os.path.join(work_dir, name + '.conf'), sections)
    return start_child(name + '-api', processes.vmact_api_command(
        config_file), work_dir)


def vmact_config(port, keystone_url, log_file, overrides):
    """vmact.conf's sections as {section: {option: value}}."""
    auth_url = keystone_url + '/v3'
    service = (auth_url, SERVICE_USER, 'bench')
    sections = collections.OrderedDict()
    sections['DEFAULT'] = {'debug': 'false', 'log_file': log_file}
    sections['api'] = vmact_config_sections.api(
        port, (TOKEN_AGENT, SERVICE_AGENT), max_servers_per_request=1000)
    sections['oslo_middleware'] = {'max_request_body_size': '1048576'}
    sections['keystone_authtoken'] = \
        vmact_config_sections.keystone_authtoken(*service)
    sections[TOKEN_AGENT] = {'backend': 'nova', 'auth_mode': 'token',
                             'interface': 'public'}
    sections[SERVICE_AGENT] = dict(
        {'backend': 'nova', 'auth_mode': 'service', 'interface': 'public'},
        **vmact_config_sections.password_auth(*service))
    sections[SERVICE_AGENT]['auth_type'] = 'v3password'
    return vmact_config_sections.merge(sections, overrides)


def concurrency_of(sections):
    """vmact's per-request concurrency C for the token agent."""
    from vmact.conf import nova as nova_conf
    defaults = {opt.name: opt.default for opt in nova_conf.NOVA_OPTS}
    agent = sections[TOKEN_AGENT]
    per_request = int(agent.get('max_concurrency_per_request',
                                defaults['max_concurrency_per_request']))
    total = int(agent.get('max_concurrency', defaults['max_concurrency']))
    return min(per_request, total), total


# HTTP clients.

class Connection(object):
    """One persistent HTTP/1.1 connection (http.client: cheap)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    LOOPBACK, self.port, timeout=HTTP_TIMEOUT)
            try:
                self.conn.request(method, path, body=body,
                                  headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Cloud(object):
    """The fake cloud's control API and the bench user's tokens."""

    def __init__(self, keystone_port, nova_port):
        self.keystone_port = keystone_port
        self.keystone_url = 'http://%s:%d' % (LOOPBACK, keystone_port)
        self.nova_url = 'http://%s:%d/v2.1' % (LOOPBACK, nova_port)
        self.control_conn = Connection(keystone_port)

    def control(self, path, doc=None):
        status, body = self.control_conn.request(
            'POST' if doc is not None else 'GET', '/_bench/' + path,
            body=json.dumps(doc) if doc is not None else None,
            headers={'Content-Type': 'application/json'})
        if status != 200:
            raise BenchError('fake cloud control %s: %s' % (path, status))
        return json.loads(body)

    def stats(self):
        return self.control('stats')

    def reset(self):
        self.control('reset', {})

    def latency(self, action=0.0, read=0.0):
        self.control('config', {'action_latency': action,
                                'read_latency': read})

    def token(self, user=BENCH_USER, project='bench'):
        """A new project-scoped token (not counted as a validation)."""
        response = requests.post(
            self.keystone_url + '/v3/auth/tokens', timeout=HTTP_TIMEOUT,
            json={'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': user, 'password': 'bench',
                         'domain': {'id': 'default'}}}},
                'scope': {'project': {'name': project,
                                      'domain': {'id': 'default'}}}}})
        response.raise_for_status()
        return (response.headers['X-Subject-Token'],
                response.json()['token']['project']['id'])


class Vmact(object):
    """Requests to vmact-api."""

    def __init__(self, port, tenant_id):
        self.port = port
        self.tenant_id = tenant_id
        self.conn = Connection(port)

    def body(self, servers, action='os-stop'):
        value = dict(ACTIONS)[action]
        return json.dumps({'tenant_id': self.tenant_id, 'region': REGION,
                           'servers': list(servers), action: value})

    @staticmethod
    def headers(token, agent=None):
        headers = {'X-Auth-Token': token, 'Content-Type': 'application/json'}
        if agent:
            headers['Sp-Agent'] = agent
        return headers

    def read(self, token, servers, conn=None):
        """GET the servers' states; return the seconds it took."""
        path = '/mana_api/vm_act/%s/%s?servers=%s' % (
            self.tenant_id, REGION, ','.join(servers))
        started = time.perf_counter()
        status, data = (conn or self.conn).request(
            'GET', path, None, self.headers(token))
        elapsed = time.perf_counter() - started
        if status != 200:
            raise BenchError('vmact answered %d to a status read: %s'
                             % (status, data[:500].decode('utf-8',
                                                          'replace')))
        return elapsed

    def act(self, token, servers, action='os-stop', agent=None, conn=None):
        """POST one vm_act request; return (status, seconds)."""
        body = self.body(servers, action)
        headers = self.headers(token, agent)
        started = time.perf_counter()
        status, data = (conn or self.conn).request(
            'POST', '/mana_api/vm_act', body, headers)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise BenchError('vmact answered %d to %s on %d servers: %s'
                             % (status, action, len(servers),
                                data[:500].decode('utf-8', 'replace')))
        return elapsed


def server_ids(count, prefix='srv'):
    return ['%s-%05d' % (prefix, i) for i in range(count)]


# Measurements.

def sequential_loop(cloud, token, servers, action='os-stop'):
    """The OSC way: one novaclient call after another, one connection."""
    session = ks_session.Session(
        auth=token_endpoint.Token(cloud.nova_url, token))
    nova = nova_client.Client('2.1', session=session,
                              endpoint_override=cloud.nova_url)
    call = getattr(nova.servers, NOVACLIENT_ACTIONS[action])
    started = time.perf_counter()
    for server in servers:
        call(server)
    elapsed = time.perf_counter() - started
    session.session.close()
    return elapsed


def cpu_bound(cloud, token, servers, concurrency):
    """The same calls with bare requests at concurrency C, zero latency."""
    http = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1,
                                            pool_maxsize=concurrency)
    http.mount('http://', adapter)
    headers = {'X-Auth-Token': token, 'Content-Type': 'application/json',
               'Accept': 'application/json',
               'X-OpenStack-Nova-API-Version': '2.1'}
    body = json.dumps({'os-stop': None})
    url = cloud.nova_url + '/servers/%s/action'

    def call(server):
        response = http.post(url % server, data=body, headers=headers,
                             timeout=HTTP_TIMEOUT)
        if response.status_code != 202:
            raise BenchError('fake Nova answered %d'
                             % response.status_code)

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        # Open the connections first, as vmact's pool is warm too.
        list(pool.map(call, servers[:concurrency]))
        started = time.perf_counter()
        list(pool.map(call, servers))
        elapsed = time.perf_counter() - started
    http.close()
    return elapsed


class RssSampler(threading.Thread):
    """Peak VmRSS of a process while running, sampled every 5 ms."""

    def __init__(self, pid, limit=120):
        super().__init__(daemon=True)
        self.pid = pid
        self.limit = limit
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        started = time.monotonic()
        while not self.done.is_set() and \
                time.monotonic() - started < self.limit:
            self.peak = max(self.peak, processes.rss_kib(self.pid) or 0)
            self.done.wait(0.005)

    def stop(self):
        self.done.set()
        self.join(5)
        self.peak = max(self.peak, processes.rss_kib(self.pid) or 0)
        return self.peak


def start_py_spy(pid, path):
    """Record ``pid`` with py-spy (GIL holder only) until stop_py_spy."""
    exe = shutil.which('py-spy') or os.path.join(
        os.path.dirname(sys.executable), 'py-spy')
    if not os.path.exists(exe):
        sys.stderr.write('py-spy not found: no profile recorded\n')
        return None
    fmt = 'raw' if path.endswith('.txt') else 'speedscope'
    return subprocess.Popen(
        [exe, 'record', '--pid', str(pid), '--gil', '--nonblocking',
         '--rate', '100', '--duration', '120', '--format', fmt,
         '--output', path], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_py_spy(proc):
    if proc is None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def throughput(port, request_once, clients, count, seconds):
    """Requests/s of ``clients`` threads, each with its own connection."""
    stop_at = [None]
    done = []
    lock = threading.Lock()

    def client(_):
        conn = Connection(port)
        n = 0
        try:
            while time.perf_counter() < stop_at[0]:
                with lock:
                    if len(done) >= count:
                        break
                    done.append(1)
                request_once(conn)
                n += 1
        finally:
            conn.close()
        return n

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        stop_at[0] = started + seconds
        served = sum(pool.map(client, range(clients)))
        elapsed = time.perf_counter() - started
    return served / elapsed, served, elapsed


def bare_request(port, method='POST'):
    """The bare app's request: its action (POST) or its state read."""
    conn = Connection(port)
    body = json.dumps({'os-stop': None}) if method == 'POST' else None

    def once(c=None):
        started = time.perf_counter()
        status, data = (c or conn).request(
            method, '/bare', body, {'Content-Type': 'application/json'})
        if status != 200:
            raise BenchError('bare app answered %d' % status)
        return time.perf_counter() - started
    return once


def overhead(vmact_times, bare_times):
    """p50/p99 of both, their difference and ratio, and the means."""
    p50_v, p50_b = statistics.median(vmact_times), statistics.median(
        bare_times)
    p99_v, p99_b = percentile(vmact_times, 0.99), percentile(bare_times,
                                                             0.99)
    return collections.OrderedDict([
        ('requests', len(vmact_times)),
        ('vmact_p50_ms', ms(p50_v)), ('vmact_p99_ms', ms(p99_v)),
        ('bare_p50_ms', ms(p50_b)), ('bare_p99_ms', ms(p99_b)),
        ('added_p50_ms', ms(p50_v - p50_b)),
        ('added_p99_ms', ms(p99_v - p99_b)),
        ('ratio_p50', round(p50_v / p50_b, 2)),
        ('ratio_p99', round(p99_v / p99_b, 2)),
        ('vmact_mean_ms', ms(statistics.mean(vmact_times))),
        ('bare_mean_ms', ms(statistics.mean(bare_times)))])


def ms(seconds):
    return round(seconds * 1000.0, 3)


def run(args):
    deadline = Deadline(args.time_limit)
    work_dir = tempfile.mkdtemp(prefix='vmact-bench-')
    children = []
    results = collections.OrderedDict()
    try:
        results['environment'] = environment(args)
        # The fake cloud.
        fake = start_child('fake_cloud', [
            sys.executable, '-u', os.path.join(HERE, 'fake_cloud.py')],
            work_dir, capture=True)
        children.append(fake)
        fake_ports = json.loads(fake.read_line(START_TIMEOUT))
        cloud = Cloud(fake_ports['keystone'], fake_ports['nova'])
        token, tenant_id = cloud.token()

        # vmact-api.
        port = support_ports.free_port()
        sections = vmact_config(port, cloud.keystone_url,
                                os.path.join(work_dir, 'vmact.log'),
                                args.set)
        concurrency, pool_size = concurrency_of(sections)
        threads = int(sections['api'].get('server_threads', 16))
        api = start_vmact('vmact', sections, port, work_dir)
        children.append(api)
        startup = api.wait_for_port(port, START_TIMEOUT, path='/healthcheck')
        vmact = Vmact(port, tenant_id)

        # The same vmact-api, actions validated from the token cache.
        cached_port = support_ports.free_port()
        cached_api = start_vmact('vmact-cached', vmact_config(
            cached_port, cloud.keystone_url,
            os.path.join(work_dir, 'vmact-cached.log'),
            args.set + [('api', 'revalidate_action_tokens', 'false')]),
            cached_port, work_dir)
        children.append(cached_api)
        cached_api.wait_for_port(cached_port, START_TIMEOUT,
                                 path='/healthcheck')
        vmact_cached = Vmact(cached_port, tenant_id)

        # The bare app.
        bare_port = support_ports.free_port()
        bare = start_child('bare-app', [
            sys.executable, os.path.join(HERE, 'bare_app.py'),
            '--port', str(bare_port), '--threads', str(threads),
            '--nova-url', cloud.nova_url, '--token', token], work_dir)
        children.append(bare)
        bare.wait_for_port(bare_port, START_TIMEOUT, path='/', status=None)

        results['setup'] = {
            'vmact_startup_s': round(startup, 3),
            'concurrency_per_request': concurrency,
            'max_concurrency_and_pool_size': pool_size,
            'server_threads': threads,
            'nova_action_latency_ms': args.latency_ms,
            'overrides': ['%s.%s=%s' % o for o in args.set]}
        results['load_at_start'] = list(os.getloadavg())

        # 3. Connection reuse: a cold vmact-api, 200 one-server requests.
        cloud.latency(0.0)
        cloud.reset()
        for i in range(args.reuse_requests):
            deadline.check('connection reuse')
            vmact.act(token, ['reuse-%03d' % i])
        stats = cloud.stats()
        results['connection_reuse'] = {
            'requests': args.reuse_requests,
            'new_nova_connections': stats['nova'].get('connections', 0),
            'nova_requests': stats['nova'].get('requests', 0),
            'pool_size': pool_size,
            'keystone': stats['keystone']}

        # 2b. Keystone validations with one token: status reads (the
        # token cache), then action requests (validated each time).
        bare_once = bare_request(bare_port)
        for i in range(args.warmup):
            deadline.check('warm-up')
            vmact.act(token, ['warm-%03d' % i])
            vmact_cached.act(token, ['warm-%03d' % i])
            bare_once()
        fresh, _ = cloud.token()
        cloud.reset()
        for i in range(args.latency_requests):
            deadline.check('status reads')
            vmact.read(fresh, ['one-%04d' % i])
        stats = cloud.stats()
        results['keystone_one_token'] = {
            'requests': args.latency_requests, 'method': 'GET',
            'validations': stats['keystone'].get('validations', 0),
            'keystone_requests': stats['keystone'].get('requests', 0),
            'nova_requests': stats['nova'].get('requests', 0)}
        cloud.reset()
        for i in range(args.revalidation_requests):
            deadline.check('action validations')
            vmact.act(fresh, ['one-%04d' % i])
        action_validations = cloud.stats()['keystone'].get('validations', 0)

        # 4. Pipeline overhead: status reads with one cached token against
        # the bare app's read, then actions (validated each time, and from
        # the cache on the second vmact-api) against the bare app's action.
        bare_read = bare_request(bare_port, 'GET')
        read_times, bare_read_times = [], []
        for i in range(args.latency_requests):
            deadline.check('pipeline overhead')
            read_times.append(vmact.read(fresh, ['one-%04d' % i]))
            bare_read_times.append(bare_read())
        results['pipeline_overhead'] = overhead(read_times[1:],
                                                bare_read_times[1:])
        results['pipeline_overhead']['method'] = 'GET'
        vmact_times, cached_times, bare_times = [], [], []
        for i in range(args.latency_requests):
            deadline.check('action overhead')
            vmact_times.append(vmact.act(fresh, ['one-%04d' % i]))
            cached_times.append(vmact_cached.act(fresh, ['one-%04d' % i]))
            bare_times.append(bare_once())
        revalidated = overhead(vmact_times[1:], bare_times[1:])
        from_cache = overhead(cached_times[1:], bare_times[1:])
        results['action_revalidation'] = {
            'requests': args.revalidation_requests,
            'validations': action_validations,
            'validations_per_request': round(
                action_validations / args.revalidation_requests, 3),
            'latency_requests': revalidated['requests'],
            'revalidated_p50_ms': revalidated['vmact_p50_ms'],
            'revalidated_p99_ms': revalidated['vmact_p99_ms'],
            'from_cache_p50_ms': from_cache['vmact_p50_ms'],
            'from_cache_p99_ms': from_cache['vmact_p99_ms'],
            'added_p50_ms': round(revalidated['vmact_p50_ms']
                                  - from_cache['vmact_p50_ms'], 3),
            'added_p99_ms': round(revalidated['vmact_p99_ms']
                                  - from_cache['vmact_p99_ms'], 3)}
        results['action_overhead'] = revalidated
        results['action_overhead']['added_p50_ms_from_cache'] = from_cache[
            'added_p50_ms']
        results['action_overhead']['added_p99_ms_from_cache'] = from_cache[
            'added_p99_ms']

        # 2. Calls per action, token then service mode.
        calls = collections.OrderedDict()
        for mode, agent in (('token', None), ('service', SERVICE_AGENT)):
            for action, _ in ACTIONS:
                deadline.check('calls per action')
                servers = server_ids(args.calls_servers, 'calls')
                cloud.reset()
                vmact.act(token, servers, action, agent)
                stats = cloud.stats()
                calls['%s %s' % (mode, action)] = {
                    'servers': len(servers),
                    'nova_per_server': round(
                        stats['nova'].get('requests', 0) / len(servers), 3),
                    'nova': stats['nova'],
                    'keystone_requests': stats['keystone'].get(
                        'requests', 0),
                    'keystone': stats['keystone']}
        results['calls_per_action'] = calls

        # 5a. Throughput with 8 clients, one server per request: status
        # reads (cached token), then actions.
        counter = iter(range(10 ** 9))

        def vmact_read(conn):
            vmact.read(token, ['tp-%06d' % next(counter)], conn=conn)

        def vmact_act(conn):
            vmact.act(token, ['tp-%06d' % next(counter)], conn=conn)

        for key, vmact_once, bare in (
                ('throughput', vmact_read, bare_read),
                ('action_throughput', vmact_act, bare_once)):
            deadline.check(key)
            cloud.reset()
            rps, served, _ = throughput(port, vmact_once, args.clients,
                                        args.throughput_requests,
                                        args.throughput_seconds)
            bare_rps, bare_served, _ = throughput(
                bare_port, bare, args.clients, args.throughput_requests,
                args.throughput_seconds)
            results[key] = {
                'clients': args.clients, 'vmact_rps': round(rps, 1),
                'vmact_requests': served, 'bare_rps': round(bare_rps, 1),
                'bare_requests': bare_served,
                'ratio': round(rps / bare_rps, 2),
                'method': 'GET' if key == 'throughput' else 'POST'}

        # 1. Fan-out, and 5b. peak RSS during the 1000-server request.
        fan_out = collections.OrderedDict()
        latency = args.latency_ms / 1000.0
        for size in args.sizes:
            deadline.check('fan-out')
            servers = server_ids(size, 'fan')
            cloud.latency(0.0)
            bound_cpu = statistics.median(
                cpu_bound(cloud, token, servers, concurrency)
                for _ in range(args.repeat))
            cloud.latency(latency)
            walls, connections = [], []
            rss_before = processes.rss_kib(api.pid)
            sampler = RssSampler(api.pid)
            sampler.start()
            spy = None
            if args.py_spy and size == max(args.sizes):
                spy = start_py_spy(api.pid, args.py_spy)
            for _ in range(args.repeat):
                deadline.check('fan-out')
                cloud.reset()
                walls.append(vmact.act(token, servers))
                stats = cloud.stats()
                connections.append(stats['nova'].get('connections', 0))
                if stats['nova'].get('actions', 0) != size:
                    raise BenchError('fan-out of %d made %s' % (
                        size, stats['nova']))
            rss_peak = sampler.stop()
            stop_py_spy(spy)
            sequential = None
            if size <= args.sequential_max:
                deadline.check('sequential loop')
                sequential = sequential_loop(cloud, token, servers)
            wall = statistics.median(walls)
            bound_latency = math.ceil(size / concurrency) * latency
            bound = max(bound_latency, bound_cpu)
            fan_out[str(size)] = {
                'servers': size, 'vmact_s': round(wall, 4),
                'vmact_runs_s': [round(w, 4) for w in walls],
                'sequential_s': (round(sequential, 4)
                                 if sequential is not None else None),
                'latency_bound_s': round(bound_latency, 4),
                'cpu_bound_s': round(bound_cpu, 4),
                'vmact_over_sequential': (round(wall / sequential, 4)
                                          if sequential else None),
                'speedup': (round(sequential / wall, 1)
                            if sequential else None),
                'vmact_over_bound': round(wall / bound, 3),
                'new_nova_connections_per_run': connections,
                'rss_before_kib': rss_before, 'rss_peak_kib': rss_peak}
        cloud.latency(0.0)
        results['fan_out'] = fan_out
        results['memory'] = {
            'rss_now_kib': processes.rss_kib(api.pid),
            'rss_hwm_kib': processes.rss_kib(api.pid, 'VmHWM')}
        results['load_at_end'] = list(os.getloadavg())
        results['targets'] = targets(results, args)
        results['errors_in_vmact_log'] = count_errors(
            os.path.join(work_dir, 'vmact.log'))
        return results
    finally:
        for child in reversed(children):
            child.stop()
        if args.keep:
            sys.stderr.write('work directory kept: %s\n' % work_dir)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def count_errors(log_file):
    try:
        with open(log_file, errors='replace') as log:
            return sum(1 for line in log if ' ERROR ' in line)
    except OSError:
        return None


def environment(args):
    versions = {}
    for name in ('vmact', 'keystonemiddleware', 'keystoneauth1',
                 'python-novaclient', 'waitress', 'requests', 'urllib3'):
        try:
            from importlib import metadata
            versions[name] = metadata.version(name)
        except Exception:
            versions[name] = None
    return {'python': platform.python_version(),
            'platform': platform.platform(), 'cpus': os.cpu_count(),
            'versions': versions, 'started': time.strftime(
                '%Y-%m-%dT%H:%M:%S%z')}


def targets(results, args):
    found = collections.OrderedDict()
    big = results['fan_out'].get('1000')
    if big and big['speedup'] is not None:
        found['fan-out N=1000 >= 20x sequential'] = big['speedup'] >= 20
        found['fan-out N=1000 <= 1.5x bound'] = big['vmact_over_bound'] <= 1.5
    token_calls = [v['nova_per_server'] for k, v in
                   results['calls_per_action'].items()
                   if k.startswith('token')]
    found['token mode 1.0 Nova call per server'] = all(
        c == 1.0 for c in token_calls)
    service_calls = [v['nova_per_server'] for k, v in
                     results['calls_per_action'].items()
                     if k.startswith('service')]
    found['service mode 2.0 Nova calls per server'] = all(
        c == 2.0 for c in service_calls)
    found['1 Keystone validation for %d status reads' % results[
        'keystone_one_token']['requests']] = results[
        'keystone_one_token']['validations'] == 1
    found['1 Keystone validation per action request'] = results[
        'action_revalidation']['validations_per_request'] == 1.0
    found['1 Keystone call (the validation) per action request '
          '(token mode)'] = all(
        v['keystone_requests'] == 1 and v['keystone'].get('validations') == 1
        for k, v in results['calls_per_action'].items()
        if k.startswith('token'))
    found['new Nova connections <= pool size'] = results[
        'connection_reuse']['new_nova_connections'] <= results[
        'connection_reuse']['pool_size']
    found['pipeline overhead <= 1 ms at p50 (status read, cached token)'] = \
        results['pipeline_overhead']['added_p50_ms'] <= 1.0
    found['throughput >= 0.6x the bare app (status reads)'] = \
        results['throughput']['ratio'] >= 0.6
    return found


def table(results):
    lines = []
    setup = results['setup']
    env = results['environment']
    lines.append('vmact benchmark: %d CPUs, Python %s; vmact-api %d threads,'
                 ' C=%d per request (pool %d), Nova action latency %g ms'
                 % (env['cpus'], env['python'], setup['server_threads'],
                    setup['concurrency_per_request'],
                    setup['max_concurrency_and_pool_size'],
                    setup['nova_action_latency_ms']))
    lines.append('load average (1/5/15 min): %s at start, %s at end'
                 % ('/'.join('%.2f' % x for x in results['load_at_start']),
                    '/'.join('%.2f' % x for x in results['load_at_end'])))
    if setup['overrides']:
        lines.append('overrides: %s' % ', '.join(setup['overrides']))
    lines.append('')
    lines.append('1. Fan-out (os-stop, token mode; wall time, median of runs)')
    lines.append('%6s %9s %12s %10s %10s %10s %11s %9s %9s' % (
        'N', 'vmact s', 'sequential s', 'lat bound', 'CPU bound',
        'vmact/seq', 'vmact/bound', 'speed-up', 'peak RSS'))
    for row in results['fan_out'].values():
        lines.append('%6d %9.3f %12s %10.3f %10.3f %10s %11.2f %9s %8.1fM'
                     % (row['servers'], row['vmact_s'],
                        '%.3f' % row['sequential_s']
                        if row['sequential_s'] is not None else '-',
                        row['latency_bound_s'], row['cpu_bound_s'],
                        '%.4f' % row['vmact_over_sequential']
                        if row['vmact_over_sequential'] else '-',
                        row['vmact_over_bound'],
                        '%.1fx' % row['speedup'] if row['speedup'] else '-',
                        row['rss_peak_kib'] / 1024.0))
    lines.append('')
    lines.append('2. Calls per action (one request of %d servers each)'
                 % next(iter(results['calls_per_action'].values()))[
                     'servers'])
    lines.append('%-18s %16s %18s' % ('mode action', 'Nova calls/server',
                                      'Keystone requests'))
    for name, row in results['calls_per_action'].items():
        detail = ', '.join('%s %d' % kv for kv in sorted(
            row['keystone'].items()) if kv[0] != 'requests')
        lines.append('%-18s %16.3f %18s' % (
            name, row['nova_per_server'], '%d%s' % (
                row['keystone_requests'],
                ' (%s)' % detail if detail else '')))
    one = results['keystone_one_token']
    lines.append('Keystone validations for %d status reads with one token: '
                 '%d' % (one['requests'], one['validations']))
    again = results['action_revalidation']
    lines.append('Keystone validations for %d action requests with one '
                 'token: %d (%.3f per request); latency added: %.3f ms p50, '
                 '%.3f ms p99 (%.3f / %.3f ms validated, %.3f / %.3f ms from '
                 'the cache)' % (
                     again['requests'], again['validations'],
                     again['validations_per_request'],
                     again['added_p50_ms'], again['added_p99_ms'],
                     again['revalidated_p50_ms'],
                     again['revalidated_p99_ms'],
                     again['from_cache_p50_ms'], again['from_cache_p99_ms']))
    lines.append('')
    reuse = results['connection_reuse']
    lines.append('3. Connection reuse: %d new TCP connection(s) to Nova over '
                 '%d one-server requests (pool size %d)'
                 % (reuse['new_nova_connections'], reuse['requests'],
                    reuse['pool_size']))
    lines.append('')
    for key, title in (('pipeline_overhead', 'status read, cached token'),
                       ('action_overhead', 'action, token validated')):
        over = results[key]
        lines.append('4. Pipeline overhead, one-server %s (%d requests, '
                     'interleaved)' % (title, over['requests']))
        lines.append('%-28s %9s %9s' % ('', 'p50 ms', 'p99 ms'))
        rows = [('vmact (full pipeline)', 'vmact'),
                ('bare WSGI app + novaclient', 'bare'),
                ('added by vmact', 'added')]
        for label, name in rows:
            lines.append('%-28s %9.3f %9.3f' % (
                label, over[name + '_p50_ms'], over[name + '_p99_ms']))
        if 'added_p50_ms_from_cache' in over:
            lines.append('%-28s %9.3f %9.3f' % (
                'added, token from the cache',
                over['added_p50_ms_from_cache'],
                over['added_p99_ms_from_cache']))
        lines.append('%-28s %8.2fx %8.2fx' % ('ratio', over['ratio_p50'],
                                              over['ratio_p99']))
        lines.append('')
    for key in ('throughput', 'action_throughput'):
        tp = results[key]
        lines.append('5. Throughput, %d clients, one-server %s: vmact %.0f '
                     'req/s, bare app %.0f req/s (%.2fx)' % (
                         tp['clients'], 'status reads' if tp['method'] ==
                         'GET' else 'actions', tp['vmact_rps'],
                         tp['bare_rps'], tp['ratio']))
    lines.append('vmact-api peak RSS %.1f MiB (high-water mark %.1f MiB)'
                 % (max(r['rss_peak_kib'] for r in
                        results['fan_out'].values()) / 1024.0,
                    (results['memory']['rss_hwm_kib'] or 0) / 1024.0))
    lines.append('')
    lines.append('Targets:')
    for name, met in results['targets'].items():
        lines.append('  [%s] %s' % ('met' if met else 'MISSED', name))
    if results.get('errors_in_vmact_log'):
        lines.append('ERROR lines in vmact log: %d'
                     % results['errors_in_vmact_log'])
    return '\n'.join(lines)


def wait_for_quiet(threshold, seconds, checks=3):
    """Wait for a quiet machine; return the loads seen and whether it was.

    Quiet: the 1-minute load below ``threshold`` ``checks`` times in a row,
    15 s apart; at most ``seconds`` are spent waiting.
    """
    seen = []
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < seconds:
        load = os.getloadavg()[0]
        seen.append(round(load, 2))
        quiet = quiet + 1 if load < threshold else 0
        if quiet >= checks:
            return seen, True
        time.sleep(15)
    return seen, False


def parse_set(value):
    try:
        name, option_value = value.split('=', 1)
        section, option = name.rsplit('.', 1)
    except ValueError:
        raise argparse.ArgumentTypeError('expected SECTION.OPTION=VALUE')
    return section, option, option_value


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--output', default='bench-results.json',
                        help='JSON results file (default: %(default)s).')
    parser.add_argument('--sizes', default='10,100,1000',
                        type=lambda v: [int(x) for x in v.split(',')],
                        help='Fan-out batch sizes (default: %(default)s).')
    parser.add_argument('--latency-ms', type=float, default=20.0,
                        help='Fake Nova latency per action in the fan-out '
                             '(default: %(default)s).')
    parser.add_argument('--repeat', type=int, default=3,
                        help='vmact runs per fan-out size (median).')
    parser.add_argument('--sequential-max', type=int, default=1000,
                        help='Largest N timed with the sequential loop.')
    parser.add_argument('--reuse-requests', type=int, default=200)
    parser.add_argument('--latency-requests', type=int, default=1000,
                        help='One-server requests timed through each of '
                             'vmact and the bare app.')
    parser.add_argument('--warmup', type=int, default=50)
    parser.add_argument('--revalidation-requests', type=int, default=200,
                        help='Action requests with one token whose '
                             'Keystone validations are counted.')
    parser.add_argument('--calls-servers', type=int, default=100)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--throughput-requests', type=int, default=3000)
    parser.add_argument('--throughput-seconds', type=float, default=4.0)
    parser.add_argument('--time-limit', type=float, default=240,
                        help='Give up after this many seconds.')
    parser.add_argument('--set', action='append', type=parse_set,
                        default=[], metavar='SECTION.OPTION=VALUE',
                        help='Override an option of vmact.conf (repeat).')
    parser.add_argument('--wait-quiet', type=float, default=0, metavar='S',
                        help='First wait up to S seconds for the 1-minute '
                             'load to stay below --quiet-load.')
    parser.add_argument('--quiet-load', type=float, default=0.5)
    parser.add_argument('--py-spy', metavar='FILE',
                        help='Record vmact-api with py-spy during the '
                             'largest fan-out (speedscope JSON; raw '
                             'collapsed stacks if FILE ends in .txt).')
    parser.add_argument('--keep', action='store_true',
                        help='Keep the work directory (logs, config).')
    args = parser.parse_args(argv)
    if args.wait_quiet:
        seen, quiet = wait_for_quiet(args.quiet_load, args.wait_quiet)
        sys.stderr.write('1-minute load while waiting: %s (%s)\n' % (
            seen, 'quiet' if quiet else 'still busy; running anyway'))
    try:
        results = run(args)
    except (BenchError, processes.ChildError) as e:
        sys.stderr.write('benchmark failed: %s\n' % e)
        return 1
    print(table(results))
    with open(args.output, 'w') as output:
        json.dump(results, output, indent=2)
        output.write('\n')
    print('\nResults written to %s' % args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
