"""vmact jobs benchmark: a 10,000-server job, engines, job reads.

Starts on 127.0.0.1 the fake Keystone and fake Nova of ``fake_cloud.py``,
``vmact-api`` (keystone strategy, one ``nova`` agent in service mode: the
fake Keystone makes no trusts, so token-mode jobs cannot run against it)
and ``vmact-engine`` processes, all on one jobs database: a sqlite file
by default, ``--database-url`` for PostgreSQL (a database of its own).
There is no RabbitMQ: vmact-api has ``transport_url = fake:/`` (its casts
reach nobody, so it runs no engine of its own) and the engines, without
a transport URL, find jobs by their database scan (``[jobs]
scan_interval``, 1 s here). Both run under a wrapper of this script
(``--child``) that counts SQL statements with SQLAlchemy events. Then:

1. one engine runs a 10,000-server os-stop job at 20 ms per Nova action,
   ``[jobs] rate = 0``: wall time from the 202 to the job's finished_at,
   against max(latency bound ceil(N/C)*L, CPU bound) for the agent's
   ``max_concurrency`` C; rows written and statements per server; the
   engine's peak RSS;
2. 200 reads of that job's first page;
3. 8 jobs of 1,250 servers on one engine, then on two: the wall ratio;
4. with the engines stopped, the 202's latency over 20 submissions of
   10,000 servers (validation, a Keystone validation, the database write).

It prints a table and writes JSON (``--output``).
"""

import argparse
import collections
import concurrent.futures
import datetime
import glob
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench as rb  # noqa: E402
from tests.support import processes  # noqa: E402
from tests.support import vmact_config as sections_of  # noqa: E402

AGENT = 'pbs'
FINAL = ('SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED')
COUNTS_INTERVAL = 0.1


# The child wrapper: vmact-api or vmact-engine with statement counters.

def install_counters(role, counts_dir):
    """Count SQL statements, rows and commits of this process (and forks).

    Written every COUNTS_INTERVAL to ``<counts_dir>/<role>-<pid>.json``.
    A forked child (the engine's worker) starts from zero.
    """
    from sqlalchemy import engine as sa_engine
    from sqlalchemy import event
    counts = collections.Counter()
    lock = threading.Lock()

    @event.listens_for(sa_engine.Engine, 'after_cursor_execute')
    def _executed(conn, cursor, statement, parameters, context, many):
        words = statement.split(None, 3)
        verb = words[0].upper()
        table = {'INSERT': 2, 'DELETE': 2, 'UPDATE': 1}.get(verb)
        with lock:
            counts['statements'] += 1
            counts['statements:' + verb] += 1
            counts['executions'] += len(parameters) if many else 1
            if table is not None and len(words) > table and \
                    cursor.rowcount > 0:
                counts['rows:%s %s' % (verb, words[table].strip('"'))] += \
                    cursor.rowcount

    @event.listens_for(sa_engine.Engine, 'commit')
    def _committed(conn):
        with lock:
            counts['commits'] += 1

    def writer():
        path = os.path.join(counts_dir, '%s-%d.json' % (role, os.getpid()))
        while True:
            with lock:
                text = json.dumps(counts)
            with open(path + '.tmp', 'w') as out:
                out.write(text)
            os.replace(path + '.tmp', path)
            time.sleep(COUNTS_INTERVAL)

    def start():
        threading.Thread(target=writer, daemon=True).start()

    def in_child():
        counts.clear()
        start()
    os.register_at_fork(after_in_child=in_child)
    start()


def child_main(role, counts_dir, argv):
    install_counters(role, counts_dir)
    if role == 'api':
        from vmact.cmd import api as command
    else:
        from vmact.cmd import engine as command
    return command.main(argv)


def read_counts(counts_dir, role):
    total = collections.Counter()
    for path in glob.glob(os.path.join(counts_dir, role + '-*.json')):
        with open(path) as counts:
            total.update(json.load(counts))
    return total


def settled_counts(counts_dir, role):
    time.sleep(COUNTS_INTERVAL * 3)
    return read_counts(counts_dir, role)


def per_server(before, after, servers):
    diff = collections.Counter(after)
    diff.subtract(before)
    rows = {k[5:]: v for k, v in diff.items() if k.startswith('rows:') and v}
    return collections.OrderedDict([
        ('statements', diff['statements']),
        ('statements_per_server', round(diff['statements'] / servers, 4)),
        ('executions_per_server', round(diff['executions'] / servers, 4)),
        ('commits', diff['commits']),
        ('rows_written', sum(rows.values())),
        ('rows_written_per_server', round(sum(rows.values()) / servers, 4)),
        ('rows_by_statement', rows),
        ('statements_by_verb', {k[11:]: v for k, v in diff.items()
                                if k.startswith('statements:') and v})])


# The services.

def config(args, work_dir, keystone_url, role):
    auth_url = keystone_url + '/v3'
    service = (auth_url, rb.SERVICE_USER, 'bench')
    sections = collections.OrderedDict()
    sections['DEFAULT'] = {'debug': 'false', 'state_path': work_dir,
                           'log_file': os.path.join(work_dir, role + '.log')}
    if role == 'api':
        sections['DEFAULT']['transport_url'] = 'fake:/'
    sections['api'] = sections_of.api(0, (AGENT,))
    sections['oslo_middleware'] = {'max_request_body_size': str(2 ** 21)}
    sections['keystone_authtoken'] = sections_of.keystone_authtoken(*service)
    sections[AGENT] = dict({'backend': 'nova', 'auth_mode': 'service',
                            'interface': 'public'},
                           **sections_of.password_auth(*service))
    sections['database'] = {'connection': args.database_url or
                            'sqlite:///%s/jobs.sqlite' % work_dir}
    sections['jobs'] = {'rate': '0', 'scan_interval': '1'}
    return sections_of.merge(sections, args.set)


def write_config(args, work_dir, keystone_url, role, port=None):
    sections = config(args, work_dir, keystone_url, role)
    if port:
        sections['api']['port'] = port
    return sections, sections_of.write(
        os.path.join(work_dir, role + '.conf'), sections)


def start_wrapped(role, name, config_file, work_dir, counts_dir):
    return rb.start_child(name, [
        sys.executable, os.path.abspath(__file__), '--child', role,
        '--counts-dir', counts_dir, '--', '--config-file', config_file],
        work_dir)


def wait_for_log(path, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in processes.file_tail(path, 200000):
            return
        time.sleep(0.05)
    raise rb.BenchError('%r not in %s within %ss' % (text, path, timeout))


def engine_pids(child, counts_dir, role):
    """The engine's master, then its worker (cotyledon forks one).

    The worker is known by its counts file (each process writes its own).
    """
    found = [int(os.path.basename(path)[len(role) + 1:-5]) for path in
             glob.glob(os.path.join(counts_dir, role + '-*.json'))]
    return [child.pid] + [pid for pid in found if pid != child.pid]


class Jobs(object):
    """The jobs API of vmact-api, as the bench user."""

    def __init__(self, port, token, tenant_id):
        self.conn = rb.Connection(port)
        self.token = token
        self.tenant_id = tenant_id
        self.headers = {'X-Auth-Token': token, 'Sp-Agent': AGENT,
                        'Content-Type': 'application/json'}

    def submit(self, count):
        """POST an async os-stop of ``count`` new servers; (id, s, t)."""
        body = json.dumps({'tenant_id': self.tenant_id, 'region': rb.REGION,
                           'servers': [str(uuid.uuid4())
                                       for _ in range(count)],
                           'os-stop': None, 'async': True})
        started = time.perf_counter()
        status, data = self.conn.request('POST', '/mana_api/vm_act', body,
                                         self.headers)
        elapsed = time.perf_counter() - started
        if status != 202:
            raise rb.BenchError('job of %d servers: %d %s' % (
                count, status, data[:500].decode('utf-8', 'replace')))
        return json.loads(data)['job_id'], elapsed, time.time()

    def get(self, job_id, query=''):
        started = time.perf_counter()
        status, data = self.conn.request(
            'GET', '/mana_api/jobs/%s%s' % (job_id, query), None,
            self.headers)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise rb.BenchError('job read: %d %s' % (status, data[:500]))
        return json.loads(data), elapsed

    def cancel(self, job_id):
        self.conn.request('DELETE', '/mana_api/jobs/%s' % job_id, None,
                          self.headers)

    def wait(self, job_ids, deadline, what):
        """Poll until every job is final; {job_id: representation}."""
        done = {}
        while len(done) < len(job_ids):
            deadline.check(what)
            for job_id in job_ids:
                if job_id not in done:
                    job, _ = self.get(job_id, '?limit=1')
                    if job['status'] in FINAL:
                        done[job_id] = job
            time.sleep(0.2)
        return done


def epoch(iso):
    return datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp() if '.' in iso else \
        datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%SZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()


def claimed_at(log_file, job_id):
    """When the engine log says it claimed ``job_id`` (epoch), or None."""
    with open(log_file, errors='replace') as log:
        for line in log:
            if 'Job %s claimed' % job_id in line:
                stamp = time.strptime(line[:19], '%Y-%m-%d %H:%M:%S')
                return time.mktime(stamp) + float('0' + line[19:23])
    return None


def cpu_bound(cloud, count, concurrency):
    """Service mode's calls (a read, then the action) with bare requests.

    At concurrency C and zero latency: what the HTTP side alone costs;
    (wall seconds, this process's CPU seconds).
    """
    import requests
    http = requests.Session()
    http.mount('http://', requests.adapters.HTTPAdapter(
        pool_connections=1, pool_maxsize=concurrency))
    token, _ = cloud.token(rb.SERVICE_USER, 'service')
    headers = {'X-Auth-Token': token, 'Accept': 'application/json',
               'Content-Type': 'application/json',
               'X-OpenStack-Nova-API-Version': '2.1'}
    url = cloud.nova_url + '/servers/%s'

    def call(server):
        http.get(url % server, headers=headers, timeout=rb.HTTP_TIMEOUT)
        http.post(url % server + '/action', data='{"os-stop": null}',
                  headers=headers, timeout=rb.HTTP_TIMEOUT)

    servers = [str(uuid.uuid4()) for _ in range(count)]
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(call, servers[:concurrency]))
        started, cpu = time.perf_counter(), time.process_time()
        list(pool.map(call, servers))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    http.close()
    return elapsed, cpu


def cpu_seconds(pid):
    """User + system CPU seconds of ``pid`` so far (0 when it is gone)."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def latency_figures(values):
    return {'count': len(values),
            'p50_ms': rb.ms(statistics.median(values)),
            'p99_ms': rb.ms(rb.percentile(values, 0.99)),
            'max_ms': rb.ms(max(values))}


def concurrency(sections):
    from vmact.conf import nova as nova_conf
    defaults = {opt.name: opt.default for opt in nova_conf.NOVA_OPTS}
    agent = sections[AGENT]
    return tuple(int(agent.get(name, defaults[name])) for name in (
        'max_concurrency', 'max_concurrency_per_request'))


def run(args):
    deadline = rb.Deadline(args.time_limit)
    work_dir = tempfile.mkdtemp(prefix='vmact-jobs-bench-')
    counts_dir = os.path.join(work_dir, 'counts')
    os.makedirs(counts_dir)
    children = []
    results = collections.OrderedDict()
    log = lambda name: os.path.join(work_dir, name + '.log')  # noqa: E731
    try:
        results['environment'] = rb.environment(args)
        fake = rb.start_child('fake_cloud', [
            sys.executable, '-u', os.path.join(HERE, 'fake_cloud.py')],
            work_dir, capture=True)
        children.append(fake)
        fake_ports = json.loads(fake.read_line(rb.START_TIMEOUT))
        cloud = rb.Cloud(fake_ports['keystone'], fake_ports['nova'])
        token, tenant_id = cloud.token()
        port = rb.support_ports.free_port()
        sections, api_conf = write_config(args, work_dir, cloud.keystone_url,
                                          'api', port)
        engine_confs = [write_config(args, work_dir, cloud.keystone_url,
                                     'engine-%d' % i)[1] for i in (1, 2)]
        subprocess.run(processes.console_command(
            'vmact-manage', 'vmact.cmd.manage', api_conf) + ['db', 'sync'],
            check=True, timeout=120, stdout=subprocess.DEVNULL)
        max_c, per_request_c = concurrency(sections)
        latency = args.latency_ms / 1000.0
        cloud.latency(latency)
        api = start_wrapped('api', 'vmact-api', api_conf, work_dir,
                            counts_dir)
        children.append(api)
        api.wait_for_port(port, rb.START_TIMEOUT, path='/healthcheck')
        jobs = Jobs(port, token, tenant_id)
        engines = []

        def start_engine(n):
            child = start_wrapped('engine-%d' % n, 'vmact-engine-%d' % n,
                                  engine_confs[n - 1], work_dir, counts_dir)
            children.append(child)
            engines.append(child)
            wait_for_log(log('engine-%d' % n), 'starting', rb.START_TIMEOUT)
            return child

        engine = start_engine(1)
        warm, _, _ = jobs.submit(max_c)
        jobs.wait([warm], deadline, 'warm-up')
        results['setup'] = {
            'database': args.database_url and args.database_url.split(
                '://')[0] or 'sqlite file',
            'agent': '%s (nova, service mode)' % AGENT,
            'max_concurrency': max_c,
            'max_concurrency_per_request': per_request_c,
            'nova_action_latency_ms': args.latency_ms,
            'engine_discovery': 'database scan every [jobs] scan_interval',
            'jobs_options': dict(config(args, work_dir, '', 'x')['jobs']),
            'overrides': ['%s.%s=%s' % o for o in args.set]}
        results['load_at_start'] = list(os.getloadavg())

        # 1. One 10,000-server job on one engine.
        n = args.servers
        cloud.reset()
        api_before = read_counts(counts_dir, 'api')
        engine_before = read_counts(counts_dir, 'engine-1')
        pids = engine_pids(engine, counts_dir, 'engine-1')
        samplers = [rb.RssSampler(pid, limit=600) for pid in pids]
        for sampler in samplers:
            sampler.start()
        spy = rb.start_py_spy(pids[-1], os.path.join(
            args.py_spy, 'engine.txt')) if args.py_spy else None
        engine_cpu = cpu_seconds(pids[-1])
        job_id, post_s, at_202 = jobs.submit(n)
        api_after = settled_counts(counts_dir, 'api')
        job = jobs.wait([job_id], deadline, 'the big job')[job_id]
        rb.stop_py_spy(spy)
        rss = [sampler.stop() for sampler in samplers]
        engine_cpu = cpu_seconds(pids[-1]) - engine_cpu
        engine_after = settled_counts(counts_dir, 'engine-1')
        nova = cloud.stats()['nova']
        wall = epoch(job['finished_at']) - at_202
        claimed = claimed_at(log('engine-1'), job_id)
        cloud.latency(0.0)
        bound_cpu, bound_cpu_cpu = cpu_bound(cloud, n, max_c)
        cloud.latency(latency)
        bound_latency = math.ceil(n / max_c) * latency
        bound = max(bound_latency, bound_cpu)
        results['big_job'] = collections.OrderedDict([
            ('servers', n), ('status', job['status']),
            ('counts', job['counts']), ('post_202_ms', rb.ms(post_s)),
            ('wall_s', round(wall, 3)),
            ('scan_wait_s', round(claimed - at_202, 3) if claimed else None),
            ('claim_to_finish_s', round(epoch(job['finished_at']) - claimed,
                                        3) if claimed else None),
            ('latency_bound_s', round(bound_latency, 3)),
            ('latency_bound_at_per_request_c_s', round(
                math.ceil(n / per_request_c) * latency, 3)),
            ('cpu_bound_s', round(bound_cpu, 3)),
            ('engine_cpu_s', round(engine_cpu, 2)),
            ('cpu_bound_client_cpu_s', round(bound_cpu_cpu, 2)),
            ('wall_over_bound', round(wall / bound, 3)),
            ('nova_actions', nova.get('actions', 0)),
            ('nova_reads', nova.get('reads', 0)),
            ('engine_peak_rss_kib', {'master': rss[0],
                                     'worker': max(rss[1:] or [0])}),
            ('api_writes', per_server(api_before, api_after, n)),
            ('engine_writes', per_server(engine_before, engine_after, n))])

        # 2. Reads of its first page.
        times = []
        for _ in range(args.reads):
            deadline.check('job reads')
            times.append(jobs.get(job_id)[1])
        results['job_read'] = dict(latency_figures(times), page_size=len(
            jobs.get(job_id)[0]['servers']))

        # 3. The same job set on one engine, then on two.
        share = collections.OrderedDict()
        for count in (1, 2):
            if count == 2:
                start_engine(2)
            started = time.time()
            ids = [jobs.submit(args.share_servers)[0]
                   for _ in range(args.share_jobs)]
            done = jobs.wait(ids, deadline, 'job set on %d engines' % count)
            share['%d_engine' % count] = {
                'wall_s': round(max(epoch(j['finished_at']) for j in
                                    done.values()) - started, 3),
                'statuses': collections.Counter(
                    j['status'] for j in done.values()),
                'claimed_by_engine_2': sum(
                    1 for i in ids if claimed_at(log('engine-2'), i))
                if count == 2 else 0}
        share['jobs'], share['servers_per_job'] = (args.share_jobs,
                                                   args.share_servers)
        share['ratio_one_over_two'] = round(share['1_engine']['wall_s'] /
                                            share['2_engine']['wall_s'], 3)
        results['engines'] = share

        # 4. The 202's latency, engines stopped.
        for child in engines:
            child.stop()
        posts, ids, api_cpu = [], [], cpu_seconds(api.pid)
        spy = rb.start_py_spy(api.pid, os.path.join(
            args.py_spy, 'api.txt')) if args.py_spy else None
        for i in range(args.submissions + 2):
            deadline.check('submissions')
            job_id, elapsed, _ = jobs.submit(n)
            ids.append(job_id)
            if i < 2:
                api_cpu = cpu_seconds(api.pid)
            else:
                posts.append(elapsed)
        rb.stop_py_spy(spy)
        results['submission'] = dict(
            latency_figures(posts), servers=n, api_cpu_ms_per_submission=round(
                (cpu_seconds(api.pid) - api_cpu) * 1000 / len(posts), 1))
        for job_id in ids:
            jobs.cancel(job_id)
        results['load_at_end'] = list(os.getloadavg())
        results['errors_in_logs'] = {
            name: rb.count_errors(log(name))
            for name in ('api', 'engine-1', 'engine-2')}
        results['targets'] = targets(results)
        return results
    finally:
        for child in reversed(children):
            child.stop()
        if args.keep:
            sys.stderr.write('work directory kept: %s\n' % work_dir)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def targets(results):
    big = results['big_job']
    return collections.OrderedDict([
        ('202 of a %d-server job <= 100 ms p50' % big['servers'],
         results['submission']['p50_ms'] <= 100),
        ('job done <= 1.5x max(latency bound, CPU bound)',
         big['wall_over_bound'] <= 1.5 and big['status'] == 'SUCCESS'),
        ('GET of its first page <= 50 ms p50',
         results['job_read']['p50_ms'] <= 50)])


def table(results):
    big, setup = results['big_job'], results['setup']
    lines = ['vmact jobs benchmark: %d CPUs, Python %s; %s, agent %s, C=%d '
             '(per request %d), Nova action latency %g ms' % (
                 results['environment']['cpus'],
                 results['environment']['python'], setup['database'],
                 setup['agent'], setup['max_concurrency'],
                 setup['max_concurrency_per_request'],
                 setup['nova_action_latency_ms']),
             'load average (1/5/15 min): %s at start, %s at end' % tuple(
                 '/'.join('%.2f' % x for x in results[k])
                 for k in ('load_at_start', 'load_at_end')),
             '[jobs] %s; engines find jobs by database scan' % ', '.join(
                 '%s=%s' % kv for kv in setup['jobs_options'].items())]
    sub = results['submission']
    lines += ['', '1. Job of %d servers (os-stop), one engine' % big[
        'servers'],
        '   202: %.1f ms p50, %.1f ms p99 (%d submissions, engines '
        'stopped; vmact-api CPU %.0f ms each)' % (
            sub['p50_ms'], sub['p99_ms'], sub['count'],
            sub['api_cpu_ms_per_submission']),
        '   wall from the 202 to finished_at: %.3f s (%s; scan wait %s s, '
        'claim to finish %s s)' % (big['wall_s'], big['status'],
                                   big['scan_wait_s'],
                                   big['claim_to_finish_s']),
        '   latency bound %.3f s (C=%d; %.3f s at C=%d), CPU bound %.3f s: '
        'wall/bound %.2f' % (
            big['latency_bound_s'], setup['max_concurrency'],
            big['latency_bound_at_per_request_c_s'],
            setup['max_concurrency_per_request'], big['cpu_bound_s'],
            big['wall_over_bound']),
        '   CPU: engine worker %.1f s for the job; the CPU bound\'s '
        'client %.1f s' % (big['engine_cpu_s'],
                           big['cpu_bound_client_cpu_s']),
        '   Nova: %d actions, %d reads' % (big['nova_actions'],
                                           big['nova_reads'])]
    for side in ('api_writes', 'engine_writes'):
        w = big[side]
        lines.append('   %-6s rows written %.3f/server, statements %.4f/'
                     'server (executions %.4f), %d commits: %s' % (
                         side.split('_')[0], w['rows_written_per_server'],
                         w['statements_per_server'],
                         w['executions_per_server'], w['commits'],
                         ', '.join('%s %d' % kv for kv in sorted(
                             w['rows_by_statement'].items()))))
    rss = big['engine_peak_rss_kib']
    lines.append('   engine peak RSS: worker %.1f MiB, master %.1f MiB' % (
        rss['worker'] / 1024.0, rss['master'] / 1024.0))
    share = results['engines']
    lines += ['', '2. %d jobs of %d servers: one engine %.3f s, two engines '
              '%.3f s (engine 2 ran %d): ratio %.2f' % (
                  share['jobs'], share['servers_per_job'],
                  share['1_engine']['wall_s'], share['2_engine']['wall_s'],
                  share['2_engine']['claimed_by_engine_2'],
                  share['ratio_one_over_two'])]
    read = results['job_read']
    lines += ['', '3. GET /mana_api/jobs/{id} (first page, %d servers): '
              '%.2f ms p50, %.2f ms p99 (%d reads)' % (
                  read['page_size'], read['p50_ms'], read['p99_ms'],
                  read['count']), '', 'Targets:']
    lines += ['  [%s] %s' % ('met' if met else 'MISSED', name)
              for name, met in results['targets'].items()]
    errors = {k: v for k, v in results['errors_in_logs'].items() if v}
    if errors:
        lines.append('ERROR lines in logs: %s' % errors)
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--output', default='bench-results-jobs.json')
    parser.add_argument('--servers', type=int, default=10000)
    parser.add_argument('--latency-ms', type=float, default=20.0)
    parser.add_argument('--submissions', type=int, default=20)
    parser.add_argument('--reads', type=int, default=200)
    parser.add_argument('--share-jobs', type=int, default=8)
    parser.add_argument('--share-servers', type=int, default=1250)
    parser.add_argument('--database-url', help='e.g. postgresql+psycopg2:'
                        '//user:pw@127.0.0.1/vmact_bench: an empty database '
                        'of its own (default: a sqlite file)')
    parser.add_argument('--set', action='append', type=rb.parse_set,
                        default=[], metavar='SECTION.OPTION=VALUE')
    parser.add_argument('--py-spy', metavar='DIR',
                        help='record with py-spy (raw stacks of the GIL '
                        'holder) the engine worker during the big job '
                        '(DIR/engine.txt) and vmact-api during the '
                        'submissions (DIR/api.txt)')
    parser.add_argument('--time-limit', type=float, default=600)
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--child', choices=('api', 'engine-1', 'engine-2'),
                        help=argparse.SUPPRESS)
    parser.add_argument('--counts-dir', help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.child:
        return child_main(args.child, args.counts_dir,
                          [a for a in rest if a != '--'])
    try:
        results = run(args)
    except (rb.BenchError, processes.ChildError,
            subprocess.SubprocessError) as e:
        sys.stderr.write('jobs benchmark failed: %s\n' % e)
        return 1
    print(table(results))
    with open(args.output, 'w') as output:
        json.dump(results, output, indent=2)
        output.write('\n')
    print('\nResults written to %s' % args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
