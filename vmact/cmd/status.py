"""``vmact-status upgrade check``: is this configuration ready to serve?

    vmact-status [--config-file F] upgrade check [--json]

oslo.upgradecheck's command, as OpenStack services ship it: run it after
installing a new vmact and before restarting the services. Exit code 0
when every check passed, 1 when the worst is a warning, 2 on a failure
(255 when a check itself broke). The checks:

* **Database schema**: the jobs database is at the newest migration
  (``vmact-manage db sync``); a warning only when ``[database]
  sync_on_startup`` lets the API upgrade it.
* **Agents**: every agent of ``[api] enabled_agents`` loads its driver
  and section, as the API does at start.
* **Trustee**: ``[trustee]`` credentials load when an agent acts as the
  caller (nova ``auth_mode = token``): its jobs need trusts.
* **Message transport**: ``[DEFAULT] transport_url`` parses; unset is a
  warning: jobs run in the API process (one host, no vmact-engine).
"""

import sys

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_db import exception as db_exc
import oslo_messaging
from oslo_upgradecheck import upgradecheck

from vmact import backends
from vmact import conf as vmact_conf
from vmact.conf import trustee as trustee_conf
from vmact.db import migration
from vmact import exception
from vmact.jobs import rpc

Code = upgradecheck.Code
Result = upgradecheck.Result


class Checks(upgradecheck.UpgradeCommands):
    """vmact's upgrade checks, on the parsed ``conf``."""

    def __init__(self, conf):
        self.conf = conf
        self._agents = None
        self._agents_error = None

    def _check_schema(self):
        try:
            current = migration.current_version(self.conf)
        except db_exc.DBError as e:
            return Result(Code.FAILURE, 'The jobs database of [database] '
                          'connection could not be read: %s.'
                          % type(e).__name__)
        head = migration.head()
        if current == head:
            return Result(Code.SUCCESS, 'At revision %s.' % head)
        details = ('The jobs database is at revision %s, this vmact needs '
                   '%s: run "vmact-manage db sync".' % (current, head))
        if self.conf.database.sync_on_startup:
            return Result(Code.WARNING, details + ' ([database] '
                          'sync_on_startup will run it when the API '
                          'starts.)')
        return Result(Code.FAILURE, details)

    def agents(self):
        """The enabled agents' drivers, loaded once (None if they fail)."""
        if self._agents is None and self._agents_error is None:
            try:
                self._agents = backends.load_agents(self.conf)
            except exception.VmactError as e:
                self._agents_error = e.msg
            except Exception as e:
                self._agents_error = '%s: %s' % (
                    type(e).__name__, exception.quote(str(e), 200))
        return self._agents

    def _check_agents(self):
        agents = self.agents()
        if agents is None:
            return Result(Code.FAILURE, self._agents_error)
        return Result(Code.SUCCESS, 'Agents %s load.' % ', '.join(
            '%s (%s)' % (name, self.conf[name].backend)
            for name in sorted(agents)))

    def _check_trustee(self):
        agents = self.agents()
        if agents is None:
            return Result(Code.WARNING, 'Not checked: the agents do not '
                          'load (see the Agents check).')
        callers = sorted(n for n, b in agents.items() if b.acts_as_caller)
        if not callers:
            return Result(Code.SUCCESS, 'No agent acts as the caller: no '
                          'trust is needed.')
        try:
            auth = ks_loading.load_auth_from_conf_options(
                self.conf, trustee_conf.GROUP)
        except (ks_exc.NoMatchingPlugin,
                ks_exc.MissingRequiredOptions) as e:
            return Result(Code.FAILURE, '[trustee]: %s' % e)
        if auth is None:
            return Result(Code.FAILURE, 'Agents %s act as the caller: their '
                          'jobs need Keystone trusts to vmact\'s service '
                          'user; set [trustee] auth_type and its options.'
                          % ', '.join(callers))
        return Result(Code.SUCCESS, '[trustee] loads for agents %s.'
                      % ', '.join(callers))

    def _check_transport(self):
        url = rpc.transport_url(self.conf)
        if url is None:
            return Result(Code.WARNING, '[DEFAULT] transport_url is not '
                          'set: jobs run in the API process (the in-process '
                          'engine, one host only; vmact-engine is not '
                          'used). Set it to run engines over RabbitMQ.')
        try:
            oslo_messaging.TransportURL.parse(self.conf, url)
        except oslo_messaging.InvalidTransportURL as e:
            return Result(Code.FAILURE, '[DEFAULT] transport_url does not '
                          'parse: %s' % type(e).__name__)
        return Result(Code.SUCCESS, 'Jobs go to vmact-engine over '
                      '[DEFAULT] transport_url.')

    _upgrade_checks = (
        ('Database schema', _check_schema),
        ('Agents', _check_agents),
        ('Trustee', _check_trustee),
        ('Message transport', _check_transport),
    )


def main(argv=None):
    """Parse the command line and run the checks: the exit code."""
    conf = vmact_conf.CONF
    checks = Checks(conf)

    def add_parsers(subparsers):
        upgrade = subparsers.add_parser('upgrade')
        upgrade.add_argument('check')
        upgrade.set_defaults(action_fn=checks.check)
        upgrade.add_argument('--json', action='store_true',
                             help='The results as JSON.')

    command = cfg.SubCommandOpt('command', handler=add_parsers)
    conf.clear()
    conf.register_cli_opt(command)
    try:
        conf(sys.argv[1:] if argv is None else argv, project='vmact')
        upgradecheck.CONF = conf  # where check() reads --json
        return upgradecheck.run(conf)
    finally:
        conf.reset()
        conf.unregister_opt(command)


if __name__ == '__main__':
    sys.exit(main())
