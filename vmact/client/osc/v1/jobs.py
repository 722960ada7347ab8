"""``openstack vm job show|list|cancel|wait``."""

import itertools

from osc_lib.cli import format_columns
from osc_lib.command import command

from vmact.client import exceptions
from vmact.client.osc.v1 import common

JOB_FIELDS = ('job_id', 'status', 'action', 'tenant_id', 'region', 'agent',
              'only_if_needed', 'wait', 'server_count', 'counts',
              'cancel_requested', 'user_id', 'request_id', 'created_at',
              'updated_at', 'finished_at')
LIST_COLUMNS = ('ID', 'Status', 'Action', 'Region', 'Agent', 'Servers',
                'Created At')


def action_name(action):
    """``{"reboot": {"type": "HARD"}}`` as ``reboot HARD``."""
    name, value = next(iter((action or {None: None}).items()))
    if isinstance(value, dict) and value.get('type'):
        return '%s %s' % (name, value['type'])
    return name


def job_item(job):
    """(fields, values) of a job for ShowOne."""
    values = []
    for field in JOB_FIELDS:
        value = job.get(field)
        if field == 'action':
            value = action_name(value)
        elif field == 'counts':
            value = format_columns.DictColumn(
                {k: n for k, n in (value or {}).items() if n})
        values.append(value)
    return JOB_FIELDS, tuple(values)


def _add_job_argument(parser):
    parser.add_argument('job', metavar='<job-id>', help='Job ID')


class ShowJob(command.ShowOne):
    """Show a job: its action, status and servers per state."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_job_argument(parser)
        return parser

    def take_action(self, parsed_args):
        try:
            job = self.app.client_manager.vm.jobs.get(parsed_args.job,
                                                      limit=1)
        except exceptions.VmactError as e:
            raise common.error(e)
        return job_item(job)


class ListJobs(command.Lister):
    """List jobs, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--project', metavar='<project-id>',
            help='Whose jobs, by project ID (default: the token\'s project)')
        parser.add_argument(
            '--status', metavar='<status>',
            choices=('INIT', 'RUNNING', 'SUCCESS', 'PARTIAL', 'FAIL',
                     'CANCELLED'), type=str.upper,
            help='Only jobs in this status')
        parser.add_argument(
            '--limit', metavar='<n>', type=int,
            help='At most this many jobs (default: all, page after page)')
        return parser

    def take_action(self, parsed_args):
        listed = self.app.client_manager.vm.jobs.list(
            tenant_id=parsed_args.project, status=parsed_args.status)
        if parsed_args.limit is not None:
            listed = itertools.islice(listed, max(0, parsed_args.limit))
        try:
            rows = [(j.id, j.status, action_name(j.get('action')),
                     j.get('region'), j.get('agent'), j.get('server_count'),
                     j.get('created_at')) for j in listed]
        except exceptions.VmactError as e:
            raise common.error(e)
        return LIST_COLUMNS, rows


class CancelJob(command.ShowOne):
    """Cancel a job: servers not yet sent are cancelled, the rest go on."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_job_argument(parser)
        return parser

    def take_action(self, parsed_args):
        try:
            job = self.app.client_manager.vm.jobs.cancel(parsed_args.job)
        except exceptions.VmactError as e:
            raise common.error(e)
        return job_item(job)


class WaitJob(common.ServerResults):
    """Wait for a job to end, with a progress bar; list its servers."""

    verb = 'complete'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_job_argument(parser)
        common.add_follow_options(parser)
        return parser

    def take_action(self, parsed_args):
        rows = common.follow(self, parsed_args.job, parsed_args)
        self.report(rows)
        return common.SERVER_COLUMNS, rows
