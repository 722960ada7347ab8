"""A Python client of vmact on a keystoneauth1 session.

vmact is found in the Keystone catalog by its service type, ``vmact``
(:data:`SERVICE_TYPE`): register it with ``openstack service create
--name vmact vmact`` and an endpoint whose URL is the application's root
(the paths ``/mana_api/...`` are appended to it). The name is not one of
the OpenStack service-types-authority's: the authority registers the
services of official OpenStack projects, and none of its types means "power
actions on servers across vendors" (``compute`` is Nova's own; sharing it
would make every Nova client find vmact). A type of vmact's own cannot
collide with a future authority entry.

Every call has a timeout: the client's ``timeout``, else the session's,
else 60 s; an action with ``wait`` adds its seconds. Nothing is retried:
an action is sent once (keystoneauth's connection and status retries are
off), and ``idempotency_key`` makes a retry of your own safe.
"""

import urllib.parse

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc

from vmact.client import exceptions
from vmact.client import jobs

SERVICE_TYPE = 'vmact'
DEFAULT_TIMEOUT = 60.0
ACT_PATH = '/mana_api/vm_act/%s/%s'
REBOOT_TYPES = ('SOFT', 'HARD')


class Client(object):
    """vmact's API: the three actions, the status read and jobs.

    :param session: a keystoneauth1 session (its auth gives the token).
    :param service_type: the catalog's type for vmact.
    :param interface: the catalog interface (public, internal, admin).
    :param region_name: the region of vmact's endpoint in the catalog
        (not the vendor region the actions name).
    :param endpoint_override: vmact's root URL, instead of the catalog.
    :param agent: the ``Sp-Agent`` sent by default (None: the server's
        default agent).
    :param timeout: seconds for each call (default: the session's, else
        60).
    """

    def __init__(self, session, service_type=SERVICE_TYPE,
                 interface='public', region_name=None,
                 endpoint_override=None, agent=None, timeout=None):
        self.adapter = adapter.Adapter(
            session, service_type=service_type, interface=interface,
            region_name=region_name, endpoint_override=endpoint_override,
            client_name='vmact-client', raise_exc=False, connect_retries=0,
            status_code_retries=0)
        self.agent = agent
        self.timeout = float(timeout or getattr(session, 'timeout', None)
                             or DEFAULT_TIMEOUT)
        self.jobs = jobs.JobManager(self)

    def start(self, tenant_id, region, servers, only_if_needed=False,
              wait=None, async_=False, agent=None, idempotency_key=None):
        """Power servers on.

        :returns: the servers (as sent, duplicates dropped) when every one
            was accepted; with ``async_`` a :class:`vmact.client.jobs.Job`.
        :raises vmact.client.exceptions.VmactError: a subclass per status;
            its ``failures`` name each failed server.
        """
        return self._act(tenant_id, region, servers, {'os-start': None},
                         only_if_needed, wait, async_, agent,
                         idempotency_key)

    def stop(self, tenant_id, region, servers, only_if_needed=False,
             wait=None, async_=False, agent=None, idempotency_key=None):
        """Power servers off; as :meth:`start`."""
        return self._act(tenant_id, region, servers, {'os-stop': None},
                         only_if_needed, wait, async_, agent,
                         idempotency_key)

    def reboot(self, tenant_id, region, servers, type='SOFT', wait=None,
               async_=False, agent=None, idempotency_key=None):
        """Reboot servers, ``type`` SOFT or HARD; as :meth:`start`."""
        if str(type).upper() not in REBOOT_TYPES:
            raise ValueError('reboot type must be SOFT or HARD, not %r'
                             % (type,))
        return self._act(tenant_id, region, servers,
                         {'reboot': {'type': str(type).upper()}}, False,
                         wait, async_, agent, idempotency_key)

    def status(self, tenant_id, region, servers, agent=None):
        """Each server's state: ``[{id, status, task_state, power_state}]``.

        :raises vmact.client.exceptions.VmactError: when any server could
            not be read; ``servers`` holds those that could.
        """
        response = self.request(
            'GET', _act_path(tenant_id, region),
            params={'servers': ','.join(server_list(servers))}, agent=agent)
        return response.json()['servers']

    def _act(self, tenant_id, region, servers, action, only_if_needed,
             wait, async_, agent, idempotency_key):
        servers = server_list(servers)
        body = {'servers': servers}
        body.update(action)
        if only_if_needed:
            body['only_if_needed'] = True
        if wait is not None:
            body['wait'] = wait
        if async_:
            body['async'] = True
        headers = {}
        if idempotency_key is not None:
            headers['Idempotency-Key'] = idempotency_key
        extra = 0 if async_ or not wait else float(wait)
        response = self.request('POST', _act_path(tenant_id, region),
                                json=body, headers=headers, agent=agent,
                                extra_timeout=extra)
        if response.status_code == 202:
            job = jobs.Job(response.json())
            job.location = response.headers.get('Location')
            return job
        return list(dict.fromkeys(servers))

    def request(self, method, path, json=None, params=None, headers=None,
                agent=None, extra_timeout=0):
        """One call to vmact; a 207 or an answer not 2xx raises its error."""
        headers = dict(headers or {})
        agent = agent or self.agent
        if agent:
            headers['Sp-Agent'] = agent
        try:
            response = self.adapter.request(
                path, method, json=json, params=params, headers=headers,
                timeout=self.timeout + extra_timeout)
        except ks_exc.ConnectionError as e:
            raise exceptions.ConnectionFailed(
                None, 'vmact could not be reached or did not answer in '
                'time: %s' % e) from e
        except ks_exc.EndpointNotFound as e:
            raise exceptions.ConnectionFailed(
                None, 'No vmact endpoint in the catalog (service type %r, '
                'interface %r, region %r): %s'
                % (self.adapter.service_type, self.adapter.interface,
                   self.adapter.region_name, e)) from e
        if response.status_code == 207 or response.status_code >= 300:
            raise exceptions.from_response(response)
        return response


def server_list(servers):
    """Server IDs as a list: a list, or the seed's comma-separated string."""
    if isinstance(servers, str):
        servers = servers.split(',')
    servers = [s.strip() for s in servers]
    if not servers or not all(servers):
        raise ValueError('servers must name at least one server, with no '
                         'empty item')
    return servers


def _act_path(tenant_id, region):
    return ACT_PATH % (urllib.parse.quote(tenant_id, safe=''),
                       urllib.parse.quote(region, safe=''))
