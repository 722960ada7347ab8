"""``vmact-manage``: the jobs database's schema and retention.

    vmact-manage [--config-file F] db sync      create or upgrade the schema
    vmact-manage [--config-file F] db version   print the schema revision
    vmact-manage [--config-file F] jobs purge [--days N]
        remove jobs finished more than N days ago (default [jobs]
        retention) and idempotency keys older than that
"""

import datetime
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_utils import timeutils

from vmact import conf as vmact_conf
from vmact.db import api as db_api
from vmact.db import migration


def db_sync(conf):
    migration.upgrade(conf)
    print('Database at revision %s' % migration.current_version(conf))


def db_version(conf):
    print(migration.current_version(conf) or 'None (run "db sync")')


def jobs_purge(conf):
    days = conf.command.days
    if days is None:
        days = conf.jobs.retention
    before = timeutils.utcnow() - datetime.timedelta(days=days)
    db_api.configure(conf)
    jobs, keys = db_api.purge(before)
    print('Removed %d finished job(s) and %d idempotency key(s) older than '
          '%d day(s) (before %sZ)' % (jobs, keys, days,
                                      before.isoformat(timespec='seconds')))


COMMANDS = {('db', 'sync'): db_sync, ('db', 'version'): db_version,
            ('jobs', 'purge'): jobs_purge}


def _add_parsers(subparsers):
    db = subparsers.add_parser('db', help='the jobs database schema')
    db_commands = db.add_subparsers(dest='action')
    db_commands.required = True
    db_commands.add_parser('sync', help='create or upgrade the schema '
                           '(safe to repeat)')
    db_commands.add_parser('version', help='print the schema revision')
    jobs = subparsers.add_parser('jobs', help='stored jobs')
    jobs_commands = jobs.add_subparsers(dest='action')
    jobs_commands.required = True
    purge = jobs_commands.add_parser(
        'purge', help='remove finished jobs and idempotency keys older '
        'than --days')
    purge.add_argument('--days', type=int, default=None,
                       help='age in days (default: [jobs] retention)')


COMMAND_OPT = cfg.SubCommandOpt('command', title='Commands',
                                handler=_add_parsers)


def main(argv=None):
    conf = vmact_conf.CONF
    conf.clear()
    conf.register_cli_opt(COMMAND_OPT)
    try:
        conf(sys.argv[1:] if argv is None else argv, project='vmact')
        command = COMMANDS[(conf.command.name, conf.command.action)]
        if getattr(conf.command, 'days', 0) is not None and \
                conf.command.name == 'jobs' and conf.command.days < 0:
            sys.stderr.write('vmact-manage: --days must be 0 or more\n')
            return 2
        command(conf)
    except (db_exc.DBConnectionError, db_exc.DBNonExistentDatabase) as e:
        sys.stderr.write('vmact-manage: database unreachable: %s\n'
                         % e.inner_exception.__class__.__name__)
        return 1
    finally:
        conf.reset()
        conf.unregister_opt(COMMAND_OPT)
    return 0


if __name__ == '__main__':
    sys.exit(main())
