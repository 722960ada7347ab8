"""Keystone trusts: how a job acts as its caller without keeping a token.

In token mode (an agent whose backend ``acts_as_caller``) the API asks
Keystone, with the caller's own token, for a trust from the caller to
vmact's trustee user (``[trustee]``): the tenant's project, the caller's
role names, impersonation, expiring at the job's deadline. Only the
trust's id is stored. The engine then authenticates as the trustee with
that trust id (:func:`context_for`), which gives a token scoped to the
project that acts as the caller, and deletes the trust when the job ends
(:func:`delete`). Every call has ``[trustee] timeout`` seconds.
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging

from vmact.conf import trustee as trustee_conf
from vmact import context
from vmact import exception

LOG = logging.getLogger(__name__)

GROUP = trustee_conf.GROUP
TRUSTS_PATH = '/OS-TRUST/trusts'
#: Scope options of the trustee's section that a trust replaces.
SCOPE_OPTIONS = ('project_id', 'project_name', 'project_domain_id',
                 'project_domain_name', 'domain_id', 'domain_name',
                 'system_scope')

_lock = threading.Lock()
_trustee = {}


def reset():
    """Forget the trustee's plugin and user id (tests, config reload)."""
    with _lock:
        _trustee.clear()


def create(conf, ctx, tenant_id, expires_at):
    """A trust from the caller of ``ctx`` to the trustee; its id.

    :param expires_at: naive UTC datetime, the job's deadline.
    :raises VmactError: 403 when Keystone refuses (its reason named),
        503 when it cannot be reached or does not answer in time, 502
        for any other answer.
    """
    if ctx.auth_plugin is None:
        raise exception.VmactError('This agent acts as the caller, but the '
                                   'request carries no Keystone '
                                   'credentials to create a trust from.',
                                   503)
    trustee_session, trustee_plugin = _trustee_auth(conf)
    trustee_user_id = _trustee_user_id(trustee_session, trustee_plugin)
    body = {'trust': {
        'trustor_user_id': ctx.user_id,
        'trustee_user_id': trustee_user_id,
        'project_id': tenant_id,
        'impersonation': True,
        'roles': [{'name': role} for role in ctx.roles],
        'expires_at': expires_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
    }}
    session = ks_loading.load_session_from_conf_options(
        conf, GROUP, auth=ctx.auth_plugin)
    try:
        response = session.post(_identity_url(trustee_plugin) + TRUSTS_PATH,
                                json=body, raise_exc=False,
                                connect_retries=0)
    except (ks_exc.ConnectionError, ks_exc.ConnectTimeout,
            ks_exc.RequestTimeout) as e:
        raise _unreachable(e)
    if response.status_code in (403, 404):
        raise exception.Forbidden(
            'Keystone refused a trust for this job (%d: %s): the caller '
            'must hold the roles it delegates on tenant %s, and its token '
            'may not itself come from a trust or an application '
            'credential.' % (response.status_code, _reason(response),
                             exception.quote(tenant_id)))
    if response.status_code != 201:
        raise exception.BackendError(
            'Keystone answered %d to the trust for this job: %s.'
            % (response.status_code, _reason(response)))
    try:
        trust_id = response.json()['trust']['id']
    except (ValueError, KeyError, TypeError):
        raise exception.BackendError('Keystone created a trust but its '
                                     'answer names none.')
    LOG.info('Trust %s from user %s to the trustee for tenant %s, '
             'expiring %s', trust_id, ctx.user_id, tenant_id,
             body['trust']['expires_at'])
    return trust_id


def context_for(conf, job):
    """The request context a job acts in: the trust's, or service mode's.

    With ``job['trust_id']``: the trustee's credentials scoped by the
    trust (keystoneauth obtains and renews the token); without one, no
    plugin: the agent acts with its own credentials.
    """
    plugin = None
    if job.get('trust_id'):
        plugin = ks_loading.load_auth_from_conf_options(
            conf, GROUP, trust_id=job['trust_id'],
            **dict.fromkeys(SCOPE_OPTIONS))
    roles = [role for role in (job.get('roles') or '').split(',') if role]
    return context.RequestContext(
        auth_plugin=plugin, user_id=job.get('user_id'),
        project_id=job['tenant_id'], roles=roles,
        request_id=job.get('request_id'), overwrite=False)


def delete(conf, trust_id):
    """Delete a trust with the trustee's credentials; log, never raise."""
    try:
        session, plugin = _trustee_auth(conf)
        response = session.delete(
            '%s%s/%s' % (_identity_url(plugin), TRUSTS_PATH, trust_id),
            raise_exc=False, connect_retries=0)
    except Exception as e:
        LOG.warning('Trust %s not deleted (%s); it expires at its job\'s '
                    'deadline', trust_id, exception.quote(str(e), 200))
        return False
    if response.status_code in (204, 404):
        LOG.info('Trust %s deleted', trust_id)
        return True
    LOG.warning('Trust %s not deleted: Keystone answered %d; it expires at '
                'its job\'s deadline', trust_id, response.status_code)
    return False


def _trustee_auth(conf):
    """The trustee's session and plugin, loaded once per process."""
    with _lock:
        if 'session' not in _trustee:
            plugin = ks_loading.load_auth_from_conf_options(conf, GROUP)
            if plugin is None:
                raise exception.VmactError(
                    'No [trustee] credentials are configured: jobs of an '
                    'agent that acts as the caller need them.', 503)
            _trustee['plugin'] = plugin
            _trustee['session'] = ks_loading.load_session_from_conf_options(
                conf, GROUP, auth=plugin)
        return _trustee['session'], _trustee['plugin']


def _trustee_user_id(session, plugin):
    with _lock:
        user_id = _trustee.get('user_id')
    if user_id is None:
        try:
            user_id = plugin.get_user_id(session)
        except (ks_exc.ConnectionError, ks_exc.ConnectTimeout,
                ks_exc.RequestTimeout) as e:
            raise _unreachable(e)
        except ks_exc.ClientException as e:
            raise exception.BackendError(
                'The [trustee] user could not authenticate with Keystone: '
                '%s.' % exception.quote(str(e), 200))
        with _lock:
            _trustee['user_id'] = user_id
    return user_id


def _identity_url(plugin):
    """Keystone's v3 root, from the trustee's ``auth_url``."""
    url = (getattr(plugin, 'auth_url', None) or '').rstrip('/')
    if not url:
        raise exception.VmactError('[trustee] has no auth_url.', 503)
    return url if url.endswith('/v3') else url + '/v3'


def _reason(response):
    try:
        return exception.quote(response.json()['error']['message'], 200)
    except (ValueError, KeyError, TypeError):
        return exception.quote(response.reason or '', 200)


def _unreachable(error):
    LOG.warning('Keystone unreachable for a trust: %s',
                exception.quote(str(error), 200))
    return exception.BackendUnavailable(
        'Keystone could not be reached to create the trust this job acts '
        'with; nothing was done.')
