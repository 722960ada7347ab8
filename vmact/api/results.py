"""Responses: a bare 200, or the error format ``{msg, code, reason}``.

Batch results: every server succeeded -> 200 with no body; otherwise the
error body adds ``failures`` and ``succeeded``, and the status is the
failures' common status when every server failed with the same one, else
207 (doc/source/api-rules.rst, "Error format" and "Batch results").
"""

import http.client
import json

import webob

UNAUTHORIZED_MSG = 'The request you have made requires authentication.'


def reason(code):
    """The HTTP reason phrase for ``code`` (``Multi-Status`` for 207)."""
    return http.client.responses.get(code, 'Error')


def error_response(code, msg, reason_phrase=None, **extra):
    """A webob response carrying the error format's body."""
    body = {'msg': msg, 'code': code,
            'reason': reason_phrase or reason(code)}
    body.update(extra)
    return json_response(code, body)


def json_response(code, body):
    response = webob.Response(status='%d %s' % (code, reason(code)),
                              content_type='application/json',
                              charset='UTF-8')
    response.text = json.dumps(body)
    return response


def unauthorized(status):
    """The authentication error; ``status`` is 401, or 400 by option.

    ``[api] unauthorized_status``: doc/source/api-rules.rst, "Status codes".
    """
    return error_response(status, UNAUTHORIZED_MSG, 'Unauthorized')


def batch_response(outcomes, verb):
    """Render the outcomes of an action on several servers."""
    if all(o.ok for o in outcomes):
        response = webob.Response(status=200)
        del response.content_type
        return response
    return _failures_response(outcomes, verb)


def status_response(outcomes):
    """Render a status read: the servers' states, then any failures."""
    shown = [{'id': o.server, **o.state.as_dict()}
             for o in outcomes if o.ok]
    if len(shown) == len(outcomes):
        return json_response(200, {'servers': shown})
    return _failures_response(outcomes, 'State read', servers=shown)


def _failures_response(outcomes, verb, **extra):
    failures = [o for o in outcomes if not o.ok]
    codes = {o.code for o in failures}
    if len(failures) == len(outcomes) and len(codes) == 1:
        code = codes.pop()
    else:
        code = 207
    msg = '%s failed for %d of %d servers.' % (
        verb, len(failures), len(outcomes))
    return error_response(
        code, msg, **extra,
        failures=[{'server': o.server, 'code': o.code, 'msg': o.msg}
                  for o in failures],
        succeeded=[o.server for o in outcomes if o.ok])
