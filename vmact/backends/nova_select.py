"""``select`` for the nova backend: Nova's server list, filtered, paged.

One ``GET /servers/detail`` per page with Nova's ``tags``, ``tags-any``,
``name`` and ``status`` filters, ``limit`` (``select_page_size``) and
``marker`` (the last server of the previous page), until a page is short
(at most ``select_max_pages``, all within the agent's
``request_deadline``). Sent at microversion 2.26 or the agent's own when
higher: below 2.26 Nova ignores the tag filters. Where the credentials
could reach other projects (service mode, an admin token, a token of
another project) the list is ``all_tenants=1&project_id=<tenant_id>``.
Each server listed is checked again here: its ``tenant_id`` is the
request's, it has the tags, its name matches (Python's regex syntax,
within :mod:`vmact.backends.name_match`'s time budget) and its
status: a filter Nova ignored never widens the selection. Cost: one Nova
call per page, none per server.
"""

import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from novaclient import api_versions
from novaclient import exceptions as nova_exc

from vmact.backends import base
from vmact.backends import http
from vmact.backends import name_match
from vmact import exception

#: The first microversion whose server list filters on tags.
TAGS_MICROVERSION = '2.26'


def at_least(nova, microversion):
    """Make ``nova``, a request's own client, speak ``microversion`` up."""
    version = max(nova.api_version, api_versions.APIVersion(microversion))
    nova.api_version = nova.client.api_version = version


def query(selector, tenant_id, all_tenants):
    """Nova's list filters for ``selector``, without the paging."""
    params = []
    if selector.tags:
        params.append(('tags', ','.join(selector.tags)))
    if selector.tags_any:
        params.append(('tags-any', ','.join(selector.tags_any)))
    if selector.name is not None:
        params.append(('name', selector.name))
    if selector.status is not None:
        params.append(('status', selector.status))
    if all_tenants:
        params += [('all_tenants', '1'), ('project_id', tenant_id)]
    return params


def matches(server, selector, tenant_id, name_regex):
    """Whether a listed server (Nova's JSON) is one the selector means."""
    tags = set(server.get('tags') or ())
    return (server.get('tenant_id') == tenant_id
            and set(selector.tags) <= tags
            and (not selector.tags_any or tags & set(selector.tags_any))
            and (name_regex is None
                 or name_regex.search(server.get('name') or ''))
            and selector.status in (None, server.get('status')))


def select(backend, context, tenant_id, region, selector):
    """:meth:`vmact.backends.base.Backend.select` for a NovaBackend."""
    target = base.Target(tenant_id, region, ())
    call = backend._call(context, target)
    at_least(call.nova, TAGS_MICROVERSION)
    params = query(selector, tenant_id, call.check_owner)
    name_regex = (name_match.NameMatcher(selector.name) if selector.name
                  else None)
    size = backend.opts.select_page_size
    found, marker = [], None
    for _ in range(backend.opts.select_max_pages):
        page = params + [('limit', str(size))]
        if marker is not None:
            page.append(('marker', marker))
        servers = _page(backend, call, '/servers/detail?'
                        + urllib.parse.urlencode(page))
        found += [s['id'] for s in servers
                  if matches(s, selector, tenant_id, name_regex)]
        if len(servers) < size:
            return tuple(found)
        marker = servers[-1]['id']
    raise exception.BadRequest(
        '"select" matches more than %d pages of %d servers in Nova; narrow '
        'the selection.' % (backend.opts.select_max_pages, size))


def _page(backend, call, url):
    """One page of Nova's list; a whole-request error when it fails."""
    with http.deadline_scope(call.deadline):
        try:
            _, body = call.nova.client.get(url)
            servers = body['servers']
            if not all(isinstance(s.get('id'), str) for s in servers):
                raise ValueError('a server without an id')
            return servers
        except nova_exc.ClientException as e:
            raise _error(backend._failed('-', e))
        except ks_exc.ClientException as e:
            raise _error(backend._failed('-', e))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise exception.BackendError(
                'Nova\'s server list could not be read (%s)'
                % type(e).__name__)


def _error(outcome):
    """A whole-request error with the status ``outcome`` has."""
    return exception.VmactError('Listing the servers for "select" failed: '
                                '%s' % outcome.msg, outcome.code)
