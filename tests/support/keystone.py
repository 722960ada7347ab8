"""Identity v3 bodies for the fake Keystones, built by keystoneauth1.

The fakes differ in transport (a threaded server in the tests, asyncio
in the benchmark) but answer with the same documents:
:func:`token_body` (``keystoneauth1.fixture.V3Token``) and the version
discovery of :func:`version` and :func:`versions`.
"""

import datetime

from keystoneauth1 import fixture as ks_fixture

INTERFACES = ('public', 'internal', 'admin')
IDENTITY_REGION = 'RegionOne'


def token_body(user, project, roles=('member', 'reader'), catalog=None,
               auth_url=None, user_id=None, project_id=None,
               ttl=3600, expires=None, methods=('password',)):
    """A project-scoped v3 token body (a dict: ``{'token': {...}}``).

    :param catalog: ``{service type: {region: url}}``; every endpoint is
        listed under the three interfaces.
    :param auth_url: adds the ``identity`` service (``IDENTITY_REGION``).
    :param user_id: defaults to ``uid-<user>``; ``project_id`` to
        ``project``.
    """
    expires = expires or (datetime.datetime.now(datetime.timezone.utc)
                          + datetime.timedelta(seconds=ttl))
    body = ks_fixture.V3Token(
        user_id=user_id or 'uid-' + user, user_name=user,
        user_domain_id='default', project_id=project_id or project,
        project_name=project, project_domain_id='default',
        expires=expires, methods=list(methods))
    for role in roles:
        body.add_role(name=role)
    services = {kind: endpoints for kind, endpoints in (catalog or {}).items()
                if endpoints}
    if auth_url:
        services.setdefault('identity', {IDENTITY_REGION: auth_url})
    for kind, endpoints in sorted(services.items()):
        service = body.add_service(kind, name=_SERVICE_NAMES.get(kind, kind))
        for region, url in sorted(endpoints.items()):
            service.add_standard_endpoints(region=region, **{
                interface: url for interface in INTERFACES})
    return body


_SERVICE_NAMES = {'identity': 'keystone', 'compute': 'nova'}


def version(auth_url):
    """``GET /v3``: the v3 version document (status 200)."""
    return {'version': ks_fixture.V3Discovery(auth_url)}


def versions(auth_url):
    """``GET /``: the list of versions (status 300)."""
    return {'versions': {'values': [ks_fixture.V3Discovery(auth_url)]}}
