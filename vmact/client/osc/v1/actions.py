"""``openstack vm start|stop|reboot|status SERVER...``.

Without ``--wait`` or ``--async`` an action is one synchronous request.
``--wait [SECONDS]`` runs it as a job with that ``wait`` and follows the
job to its end with a progress bar, so the wait holds no server thread
and is not bounded by the synchronous limits. ``--async`` writes the job
and prints its ID (one row: ``Job ID``, ``Status``) without following it.
The fleet options of the contract (``--soft-first``, ``--tag``,
``--dry-run``) are not offered: the server does not support them yet.
"""

from vmact.client import client as vm_client
from vmact.client import exceptions
from vmact.client.osc.v1 import common


class _Action(common.ServerResults):

    method = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('servers', metavar='<server>', nargs='+',
                            help='Server ID(s) to %s' % self.verb)
        self.add_action_options(parser)
        parser.add_argument(
            '--wait', metavar='<seconds>', nargs='?', type=float,
            const=common.DEFAULT_WAIT, default=None,
            help='Follow the servers until they reach the target state, up '
            'to this many seconds (default %g), as a job with a progress '
            'bar' % common.DEFAULT_WAIT)
        parser.add_argument(
            '--async', dest='async_', action='store_true',
            help='Run as a job and print its ID without following it')
        common.add_target_options(parser)
        common.add_follow_options(parser)
        return parser

    def add_action_options(self, parser):
        parser.add_argument(
            '--only-if-needed', action='store_true',
            help='Servers already in the target state succeed without a '
            'call')

    def action_kwargs(self, parsed_args):
        return {'only_if_needed': parsed_args.only_if_needed}

    def take_action(self, parsed_args):
        vm = self.app.client_manager.vm
        tenant_id, region = common.target(self.app, parsed_args)
        act = getattr(vm, self.method)
        kwargs = dict(self.action_kwargs(parsed_args), agent=parsed_args.agent,
                      wait=parsed_args.wait)
        servers = vm_client.server_list(parsed_args.servers)
        if parsed_args.async_ or parsed_args.wait is not None:
            try:
                job = act(tenant_id, region, servers, async_=True, **kwargs)
            except exceptions.VmactError as e:
                raise common.error(e)
            if parsed_args.async_:
                return ('Job ID', 'Status'), [(job.id, job.status)]
            rows = common.follow(self, job.id, parsed_args)
        else:
            try:
                done = act(tenant_id, region, servers, **kwargs)
                rows = [(s, 'accepted', None, None) for s in done]
            except exceptions.VmactError as e:
                if not (e.failures or e.succeeded):
                    raise common.error(e)
                rows = common.rows_from_error(servers, e)
        self.report(rows)
        return common.SERVER_COLUMNS, rows


class StartServers(_Action):
    """Start servers."""

    method = 'start'
    verb = 'start'


class StopServers(_Action):
    """Stop servers."""

    method = 'stop'
    verb = 'stop'


class RebootServers(_Action):
    """Reboot servers (soft by default)."""

    method = 'reboot'
    verb = 'reboot'

    def add_action_options(self, parser):
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument('--hard', dest='reboot_type', action='store_const',
                          const='HARD', default='SOFT',
                          help='Hard reboot (power cycle)')
        kind.add_argument('--soft', dest='reboot_type', action='store_const',
                          const='SOFT', help='Soft reboot (the default)')

    def action_kwargs(self, parsed_args):
        return {'type': parsed_args.reboot_type}


class ShowStatus(common.ServerResults):
    """Show servers' state (status, task state, power state)."""

    verb = 'show'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('servers', metavar='<server>', nargs='+',
                            help='Server ID(s) to show')
        common.add_target_options(parser)
        return parser

    def take_action(self, parsed_args):
        vm = self.app.client_manager.vm
        tenant_id, region = common.target(self.app, parsed_args)
        try:
            shown, failures = vm.status(tenant_id, region,
                                        parsed_args.servers,
                                        agent=parsed_args.agent), []
        except exceptions.VmactError as e:
            if not e.failures:
                raise common.error(e)
            shown, failures = e.servers, e.failures
        rows = [(s['id'], s['status'], s['task_state'], s['power_state'])
                for s in shown]
        self.report_failures(
            [(f.server, 'failed', f.code, f.msg) for f in failures],
            len(failures) + len(rows))
        return ('ID', 'Status', 'Task State', 'Power State'), rows
