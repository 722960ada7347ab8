"""What the ``openstack vm`` commands share: the target, the bulk rule,
following a job with a progress bar.

The bulk rule is OSC's own (``openstack server delete``): every server
is acted on, each failure is reported on stderr, and the command exits 1
with "N of M servers failed to <verb>." after printing its output.
"""

from osc_lib.command import command
from osc_lib import exceptions as osc_exc

from vmact.client import exceptions
from vmact.client import jobs
from vmact.client.osc import progress

SERVER_COLUMNS = ('Server', 'State', 'Code', 'Message')
#: Seconds a bare ``--wait`` waits (the server's ``[api] max_wait`` is
#: 600 by default).
DEFAULT_WAIT = 300.0
#: Seconds a followed job may take before the command gives up on it.
DEFAULT_FOLLOW_TIMEOUT = 3600.0
POLL_INTERVAL = 2.0


def add_target_options(parser):
    parser.add_argument(
        '--project', metavar='<project-id>',
        help='Project (tenant_id) of the servers, by ID (default: the '
        'token\'s project)')
    parser.add_argument(
        '--region', metavar='<region>',
        help='Region of the servers (default: the cloud\'s region)')
    parser.add_argument(
        '--agent', metavar='<name>',
        help='Sp-Agent: the vendor backend (default: the server\'s default '
        'agent)')


def add_follow_options(parser):
    parser.add_argument(
        '--timeout', metavar='<seconds>', type=float,
        default=DEFAULT_FOLLOW_TIMEOUT,
        help='Give up following the job after this many seconds (default '
        '%g); the job goes on' % DEFAULT_FOLLOW_TIMEOUT)
    parser.add_argument(
        '--no-progress', action='store_true',
        help='No progress bar (it is drawn on stderr only when stderr is '
        'a terminal)')


def target(app, parsed_args):
    """(tenant_id, region) from the options or the cloud's defaults."""
    manager = app.client_manager
    project = parsed_args.project or getattr(
        getattr(manager, 'auth_ref', None), 'project_id', None)
    region = parsed_args.region or getattr(manager, 'region_name', None)
    if not project:
        raise osc_exc.CommandError('No project: the token is scoped to '
                                   'none; give --project.')
    if not region:
        raise osc_exc.CommandError('No region: the cloud names none; give '
                                   '--region.')
    return project, region


def error(e):
    """A whole-request error of the client as OSC's CommandError."""
    return osc_exc.CommandError(str(e))


def rows_from_error(servers, e):
    """Rows of a batch that failed in part: request order, each once."""
    order = {server: i for i, server in
             reversed(list(enumerate(servers)))}
    rows = [(s, 'accepted', None, None) for s in e.succeeded]
    rows += [(f.server, 'failed', f.code, f.msg) for f in e.failures]
    return sorted(rows, key=lambda row: order.get(row[0], len(order)))


def follow(cmd, job_id, parsed_args):
    """Wait for a job with a progress bar; its servers as rows."""
    vm = cmd.app.client_manager.vm
    bar = progress.ProgressBar(cmd.app.stderr, clock=vm.jobs.clock,
                               enabled=not parsed_args.no_progress)
    try:
        vm.jobs.wait(job_id, timeout=parsed_args.timeout,
                     interval=POLL_INTERVAL, on_progress=bar.job_progress)
    except exceptions.WaitTimeout as e:
        raise osc_exc.CommandError(
            '%s Follow it with: openstack vm job wait %s' % (e.msg, job_id))
    except exceptions.VmactError as e:
        raise error(e)
    finally:
        bar.finish()
    try:
        return [(s['id'], s['state'], s['code'], s['msg'])
                for s in vm.jobs.servers(job_id)]
    except exceptions.VmactError as e:
        raise error(e)


class ServerResults(command.Lister):
    """A command whose rows are servers, under the bulk rule."""

    verb = 'act on'

    def report(self, rows):
        """Write each failed row on stderr; the exit follows in run()."""
        self.report_failures([row for row in rows
                              if row[1] not in jobs.SUCCESS_STATES],
                             len(rows))

    def report_failures(self, failed, total):
        """``failed``: (server, state, code, msg) rows of ``total``."""
        for row in failed:
            self.app.stderr.write('Failed to %s server %s: %s\n' % (
                self.verb, row[0], _describe(row)))
        self._failed = (len(failed), total)

    def run(self, parsed_args):
        self._failed = None
        result = super().run(parsed_args)
        if self._failed and self._failed[0]:
            raise osc_exc.CommandError('%d of %d servers failed to %s.' % (
                self._failed + (self.verb,)))
        return result


def _describe(row):
    state, code, msg = row[1], row[2], row[3]
    if code is None:
        return msg or state
    return '%s (%s)' % (msg or state, code)
