"""The jobs and fleet fuzzers' harness and their model of the new fields.

:class:`JobsPipelineCase` is :class:`tests.hardening.base.PipelineTestCase`
with a sqlite jobs database of its own (schema synced at load) and a
fake Nova whose servers have names and tags (:class:`NamedServer`). No engine
runs a job (tests/unit/base.py keeps the in-process engine off, and
:func:`vmact.jobs.rpc.submitted` is stubbed here), so a job's servers
stay ``pending``: whatever reaches Nova was sent by the request itself.
Requests go to the service-mode agent unless they name another: a job of
the token-mode agent needs a Keystone trust, which the fake Keystone does
not make (503).

:func:`field_error` is the model: written from the contract and
doc/source/api-rules.rst, not from vmact/api, it says whether one fuzzed
field makes an otherwise valid request a 400.
"""

import dataclasses
import math
import re

import fixtures

from tests.fakes import nova as fake_nova
from tests.hardening import base
from vmact.db import api as db

MAX_GRACE = 2
NOVA_STATUSES = frozenset((
    'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING',
    'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD', 'RESCUE', 'RESIZE',
    'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF',
    'SOFT_DELETED', 'SUSPENDED', 'VERIFY_RESIZE'))
REBOOT_TYPES = ('HARD', 'SOFT', 'SOFT_FIRST')
PAGE_SIZE = 5
MAX_PAGE_SIZE = 20
#: The fake's paths, with a query string allowed (the server list's).
NOVA_PATH = re.compile(r'^(?:/(?P<prefix>[^/]+))?/v2\.1/servers/'
                       r'(?P<server>[^/?]+)(?P<action>/action)?(?:\?.*)?$')


@dataclasses.dataclass
class NamedServer(fake_nova.Server):
    """A fake server listed with a name (its ID) and tags.

    Every server has the tag ``all`` and ``last-<last character>``.
    """

    def as_dict(self):
        return dict(super().as_dict(), name=self.id,
                    tags=['all', 'last-' + self.id[-1]])


class JobsPipelineCase(base.PipelineTestCase):
    """The pipeline over a FakeCloud, with a jobs database and names."""

    config = {}

    def config_args(self):
        self.useFixture(fixtures.MonkeyPatch('tests.fakes.nova.Server',
                                             NamedServer))
        self.useFixture(fixtures.MonkeyPatch('tests.fakes.nova._PATH',
                                             NOVA_PATH))
        self.submitted = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.jobs.rpc.submitted',
            lambda conf, job_id, agents=None: self.submitted.append(job_id)))
        state = self.useFixture(fixtures.TempDir()).path
        self.config = dict(self.config, sections={
            'DEFAULT': {'state_path': state},
            'database': {'sync_on_startup': True},
            'jobs': {'max_grace': MAX_GRACE, 'default_grace': 1,
                     'page_size': PAGE_SIZE,
                     'max_page_size': MAX_PAGE_SIZE}})
        return super().config_args()

    def request(self, *args, agent=None, **kw):
        return super().request(*args, agent=agent or base.SERVICE_AGENT,
                               **kw)

    def job_ids(self, tenant_id=base.TENANT):
        """Every job of ``tenant_id`` in the database, newest first."""
        return [row['id'] for row in db.list_jobs(tenant_id, None, 10000,
                                                  None)]

    def create_job(self, servers=('vm-1', 'vm-2', 'vm-3'), token=True,
                   tenant_id=base.TENANT, **extra):
        response = self.act(list(servers), tenant_id=tenant_id, token=token,
                            **dict({'async': True}, **extra))
        self.assertEqual(202, response.status_int, response.text)
        return response.json['job_id']

    def get(self, path, token=True):
        return self.request(path, method='GET', token=token)


def prefers_async(value):
    """RFC 7240: one comma-separated preference is respond-async."""
    return any(part.split(';')[0].split('=')[0].strip().lower()
               == 'respond-async' for part in (value or '').split(','))


def _number(value):
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float)
                                      and math.isfinite(value))


def _integer(value):
    return _number(value) and (isinstance(value, int)
                               or value.is_integer())


def _tags(value):
    return (isinstance(value, list) and 1 <= len(value) <= 50
            and all(isinstance(t, str) and 1 <= len(t) <= 60
                    and not set(t) & {',', '/'} for t in value))


def select_ok(value):
    """Whether ``select`` is valid (a catastrophic name included)."""
    if not isinstance(value, dict) or not value or \
            set(value) - {'tags', 'tags_any', 'name', 'status'}:
        return False
    if not all(_tags(value[k]) for k in ('tags', 'tags_any') if k in value):
        return False
    status = value.get('status', 'ACTIVE')
    if not (isinstance(status, str) and status.isascii()
            and status.upper() in NOVA_STATUSES):
        return False
    if 'name' not in value:
        return True
    name = value['name']
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        return False
    try:
        re.compile(name)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def waves_ok(value):
    if not isinstance(value, dict) or 'size' not in value or \
            set(value) - {'size', 'pause', 'max_failures'}:
        return False
    pause = value.get('pause', 0)
    failures = value.get('max_failures', 0)
    return (_integer(value['size']) and value['size'] >= 1
            and _number(pause) and 0 <= pause <= 3600
            and _integer(failures) and failures >= 0)


def key_ok(value):
    return 1 <= len(value) <= 255 and all(' ' <= c <= '~' for c in value)


def field_error(field, value, as_job, soft_first):
    """The name a 400 must give for ``field`` = ``value``, or None.

    :param as_job: the request is a job (``async`` or ``Prefer``);
    :param soft_first: the reboot's type is SOFT_FIRST.
    """
    if field == 'async' and not isinstance(value, bool):
        return 'async'
    if field == 'Idempotency-Key' and not key_ok(value):
        return 'Idempotency-Key'
    if field == 'select' and not select_ok(value):
        return 'select'
    if field == 'expect_count' and not (_integer(value) and value >= 0):
        return 'expect_count'
    if field == 'dry_run' and (not isinstance(value, bool)
                               or (value and as_job)):
        return 'dry_run'
    if field == 'waves' and (not as_job or not waves_ok(value)):
        return 'waves'
    if field == 'grace' and (not soft_first or not _number(value)
                             or not 1 <= value <= MAX_GRACE):
        return 'reboot.grace'
    if field == 'reboot_type' and not (
            isinstance(value, str) and value.strip().isascii()
            and value.strip().upper() in REBOOT_TYPES):
        return 'reboot.type'
    return None
