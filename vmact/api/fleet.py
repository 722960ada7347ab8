"""Fleet control's request rules: ``select``, ``expect_count``,
``dry_run`` and ``Prefer: return=representation``.

The fields' schemas are in :mod:`vmact.api.schemas`; here are the rules
no schema says (``select`` instead of ``servers``, ``dry_run`` only
synchronous, the name a regex that compiles, the count guard and the
size limits on what matched) and the answers these features give.
doc/source/api-rules.rst, "Fleet control".
"""

import dataclasses
import typing

from vmact.api import request
from vmact.api import results
from vmact.api import schemas
from vmact.backends import base
from vmact.backends import name_match
from vmact import exception

RETURN_REPRESENTATION = 'return=representation'
#: A valid server ID that stands for the selection while the rest of the
#: body is validated by :func:`vmact.api.request.act_request`.
_STAND_IN = '-'


@dataclasses.dataclass(frozen=True)
class Fleet:
    """The fleet-control options of one action request."""

    selector: typing.Optional[base.Selector] = None
    expect_count: typing.Optional[int] = None
    dry_run: bool = False
    representation: bool = False


def prefers_representation(headers):
    """Whether ``Prefer`` asks ``return=representation`` (RFC 7240)."""
    for preference in (headers.get('Prefer') or '').split(','):
        token = preference.split(';', 1)[0].replace(' ', '').lower()
        if token == RETURN_REPRESENTATION:
            return True
    return False


def options(route, body, headers, as_job):
    """The request's Fleet; a 400 for a rule the schema cannot say.

    Field types are checked here too (the schema's words), so that a
    bad ``select`` is reported before anything is looked up.
    """
    for field in ('select', 'expect_count', 'dry_run'):
        if field in body:
            request.validate(schemas.validator(_field_schema, field),
                             body[field], request.BODY, (field,))
    select = body.get('select')
    if select is not None:
        if 'servers' in body or route.server_id is not None:
            raise exception.BadRequest(
                'Give either "select" or the servers ("servers", or a '
                'server in the path), not both.')
    elif 'expect_count' in body:
        raise exception.BadRequest('Field "expect_count" applies to '
                                   '"select" only.')
    dry_run = body.get('dry_run', False)
    representation = prefers_representation(headers)
    if as_job and dry_run:
        raise exception.BadRequest('Field "dry_run" applies to synchronous '
                                   'requests only, not to a job.')
    if dry_run and representation:
        raise exception.BadRequest('A dry run answers its plan; it takes no '
                                   '"Prefer: return=representation".')
    return Fleet(_selector(select) if select is not None else None,
                 body.get('expect_count'), dry_run,
                 representation and not as_job)


def _field_schema(field):
    return schemas.act_body(1, 0)['properties'][field]


def _selector(select):
    name = select.get('name')
    if name is not None:
        name_match.compile_name(name)
    status = select.get('status')
    return base.Selector(tuple(dict.fromkeys(select.get('tags', ()))),
                         tuple(dict.fromkeys(select.get('tags_any', ()))),
                         name, status.upper() if status else None)


def selection_request(route, body, max_wait):
    """The ActRequest of a body with ``select``: no servers yet.

    Everything else is validated as any action body is, with one
    stand-in server ID in place of the selection.
    """
    parsed = request.act_request(route, dict(body, servers=[_STAND_IN]), 1,
                                 max_wait)
    return dataclasses.replace(parsed, target=dataclasses.replace(
        parsed.target, servers=()))


def resolve(ctx, backend, parsed, fleet, max_servers, as_job):
    """``parsed`` with the servers ``fleet.selector`` matches.

    409 naming the count unless it is ``expect_count``; 400 when more
    match than the request may act on (``max_servers``).
    """
    target = parsed.target
    found = tuple(dict.fromkeys(backend.select(
        ctx, target.tenant_id, target.region, fleet.selector)))
    if fleet.expect_count is not None and len(found) != fleet.expect_count:
        raise Conflict('"select" matched %d servers, not the %d of '
                       '"expect_count": nothing was done.'
                       % (len(found), fleet.expect_count))
    if len(found) > max_servers:
        raise exception.BadRequest(
            '"select" matched %d servers; %s may act on at most %d. %s'
            % (len(found), 'a job' if as_job else 'a synchronous request',
               max_servers, 'Narrow the selection.' if as_job else
               'Send "async": true to run it as a job, or narrow the '
               'selection.'))
    return dataclasses.replace(parsed, target=dataclasses.replace(
        target, servers=found))


class Conflict(exception.VmactError):
    code = 409


def nothing_selected():
    """The answer when ``select`` matched no server: 200, nothing done."""
    return results.json_response(200, {'servers': []})


def plan_response(plans):
    """A dry run's answer: 200 with each server's plan."""
    return results.json_response(
        200, {'servers': [plan.as_dict() for plan in plans]})


def selection_response(outcomes, verb):
    """A synchronous action on a selection, without representation.

    200 with the selected IDs; failures in the batch result's format,
    with the IDs as ``servers``.
    """
    ids = [o.server for o in outcomes]
    response = results.batch_response(outcomes, verb)
    if response.status_code == 200:
        return results.json_response(200, {'servers': ids})
    return _with(response, servers=ids)


def representation_response(sent, outcomes, previous, current, verb):
    """``Prefer: return=representation``: each server's state change.

    :param sent: the outcomes of ``act`` (202 accepted, 200 skipped);
    :param outcomes: the final ones (after ``wait``);
    :param previous: the reads before acting; ``current``: after.
    """
    servers = []
    for act, final, before, after in zip(sent, outcomes, previous, current):
        if not final.ok:
            outcome = 'failed'
        else:
            outcome = 'skipped' if act.code == 200 else 'accepted'
        servers.append({'id': final.server, 'outcome': outcome,
                        'code': final.code, 'msg': final.msg,
                        'previous': _state(before),
                        'current': _state(after)})
    response = results.batch_response(outcomes, verb)
    if response.status_code == 200:
        return results.json_response(200, {'servers': servers})
    return _with(response, servers=servers)


def _state(shown):
    return shown.state.as_dict() if shown.ok else None


def _with(response, **extra):
    body = dict(response.json_body, **extra)
    return results.json_response(response.status_code, body)


def render(fleet_opts, ctx, backend, target, sent, outcomes, previous,
           verb):
    """A synchronous action's answer: representation, selection or bare.

    The representation reads each server once more after acting (after
    ``wait`` when it was set): ``current``.
    """
    if fleet_opts.representation:
        return representation_response(sent, outcomes, previous,
                                       backend.show(ctx, target), verb)
    if fleet_opts.selector is not None:
        return selection_response(outcomes, verb)
    return results.batch_response(outcomes, verb)
