"""Run ``openstack vm ...`` commands through a cliff App.

The App has the plugin's commands and a fake ``client_manager`` whose
``vm`` is a real :class:`vmact.client.Client` on the requests-mock
Keystone of :mod:`tests.unit.client.fakes`, as python-openstackclient's
own command tests run commands with a fake client manager.
"""

import io
import logging
from unittest import mock

from cliff import app as cliff_app
from cliff import commandmanager

from tests.unit.client import fakes
from vmact.client.osc.v1 import actions
from vmact.client.osc.v1 import jobs

COMMANDS = {
    'vm start': actions.StartServers, 'vm stop': actions.StopServers,
    'vm reboot': actions.RebootServers, 'vm status': actions.ShowStatus,
    'vm job show': jobs.ShowJob, 'vm job list': jobs.ListJobs,
    'vm job cancel': jobs.CancelJob, 'vm job wait': jobs.WaitJob,
}


class FakeTty(io.StringIO):

    def isatty(self):
        return True


class VmApp(cliff_app.App):
    """A cliff App with the vm commands and a given client manager."""

    def __init__(self, client_manager, stderr):
        manager = commandmanager.CommandManager('vmact.tests.no-commands')
        for name, command in COMMANDS.items():
            manager.add_command(name, command)
        self.out = io.StringIO()
        super().__init__('vm commands', '1', manager, stdin=io.StringIO(),
                         stdout=self.out, stderr=stderr)
        self.client_manager = client_manager

    def configure_logging(self):
        """Errors to this App's stderr only, for this App's life."""
        self.log_handler = logging.StreamHandler(self.stderr)
        self.log_handler.setLevel(logging.WARNING)
        logging.getLogger().addHandler(self.log_handler)


class CommandTestCase(fakes.ClientTestCase):
    """``self.run_vm(argv)`` -> (exit code, stdout, stderr)."""

    def setUp(self):
        super().setUp()
        self.manager = mock.Mock(region_name='RegionOne', vm=self.vm)
        self.manager.auth_ref.project_id = 'demo'
        self.sleeps = []
        self.vm.jobs.sleep = self.sleeps.append
        self.vm.jobs.clock = lambda: float(sum(self.sleeps))

    def run_vm(self, argv, tty=False):
        stderr = FakeTty() if tty else io.StringIO()
        app = VmApp(self.manager, stderr)
        try:
            code = app.run(argv)
        finally:
            handler = getattr(app, 'log_handler', None)
            if handler is not None:
                logging.getLogger().removeHandler(handler)
        return code, app.out.getvalue(), stderr.getvalue()
