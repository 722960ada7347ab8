"""Rate control and SOFT_FIRST for synchronous actions.

The token buckets of :mod:`vmact.jobs.rate`: one per (agent, region) per
process, built from the same ``[jobs] rate`` and ``[jobs] burst``, and
shared by the synchronous requests and the jobs of the process (an
in-process engine): the backend sees one rate from it. Each backend call
a synchronous action makes (its ``act``; SOFT_FIRST's SOFT, then its
HARDs) takes one token per server before it starts, waiting for tokens
at most the agent's ``request_deadline`` from the call's start. Servers
that got no token by then are not sent: each is a 429 in the batch
result, saying when to retry; when the request's first call gets no token
at all, nothing was sent and the whole request is a 429 with
``Retry-After``. State reads (``only_if_needed``, ownership, ``wait``)
take no token. The rules as clients see them: doc/source/api-rules.rst,
"Rate control" and "SOFT_FIRST".
"""

import dataclasses
import json
import time

from vmact.api import results
from vmact.backends import base
from vmact.backends import soft_first
from vmact import exception
from vmact.jobs import rate

NOT_SENT_MSG = ('Not sent: the rate limit towards agent %s in region %s '
                'left no call for it within the request deadline; retry in '
                '%d s')


class RateLimited(exception.VmactError):
    """The request got no token at all: nothing was sent."""

    code = 429

    def __init__(self, agent, region, retry_after):
        super().__init__(
            'Too many calls to agent %s in region %s: this process sends at '
            'most its rate limit, and no call was free within the request '
            'deadline. Nothing was done: retry in %d s.'
            % (exception.quote(agent), exception.quote(region), retry_after))
        self.retry_after = retry_after


class Sender(object):
    """The backend's ``act`` for one request, under the rate limit.

    :param bucket: a :class:`vmact.jobs.rate.TokenBucket` (default: the
        process's bucket of the agent and region).
    :param clock: the bucket's clock.
    """

    def __init__(self, conf, backend, context, region, bucket=None,
                 clock=time.monotonic, sleep=time.sleep):
        self.max_resends = conf.jobs.max_resends
        self.max_retry_after = conf.jobs.max_retry_after
        self.sleep = sleep
        self.backend = backend
        self.context = context
        self.region = region
        self.bucket = bucket or rate.limiter_for(conf, backend.agent, region)
        self.clock = clock
        self.sent_any = False

    def __call__(self, target, action):
        servers = target.servers
        deadline = self.clock() + self.backend.opts.request_deadline
        granted = self.bucket.take_before(len(servers), deadline)
        if granted == 0 and not self.sent_any:
            raise RateLimited(self.backend.agent, self.region,
                              self.bucket.retry_after(len(servers)))
        outcomes = []
        if granted:
            self.sent_any = True
            outcomes = self.resending(target, servers[:granted], action,
                                      deadline)
        if granted < len(servers):
            retry = self.bucket.retry_after(len(servers) - granted)
            msg = NOT_SENT_MSG % (self.backend.agent, self.region, retry)
            outcomes += [base.Outcome(server, 429, msg, retry_after=retry)
                         for server in servers[granted:]]
        return outcomes

    def resending(self, target, servers, action, deadline):
        """``act`` on ``servers``; refusals that did not act sent again.

        A server the backend refused without acting on it (429, or 503
        with ``Retry-After``: :func:`vmact.backends.base.not_accepted`) is
        sent again after that time (1 s when not said, at most ``[jobs]
        max_retry_after``), at most ``[jobs] max_resends`` times and only
        when the wait ends before the request deadline; an accepted call,
        or any other failure, is never sent again. A driver that resends
        them itself (``resends_refusals``: libcloud) is not doubled.
        """
        result = dict(zip(servers, self.backend.act(
            self.context, dataclasses.replace(target, servers=servers),
            action)))
        resends = 0 if self.backend.resends_refusals else self.max_resends
        for _ in range(resends):
            refused = [o for o in result.values() if base.not_accepted(o)]
            if not refused:
                break
            pause = min(max(o.retry_after or 1 for o in refused),
                        self.max_retry_after)
            if self.clock() + pause >= deadline:
                break
            self.sleep(pause)
            again = tuple(o.server for o in refused)
            result.update(zip(again, self.backend.act(
                self.context, dataclasses.replace(target, servers=again),
                action)))
        return [result[server] for server in servers]


def act(ctx, backend, target, action, send, sleep=time.sleep):
    """Send ``action`` through ``send``: (outcomes, escalated or None).

    SOFT_FIRST (:mod:`vmact.backends.soft_first`) gives the escalated IDs;
    any other action None.
    """
    if not soft_first.is_soft_first(action):
        return send(target, action), None
    return soft_first.act(send, lambda sub: backend.show(ctx, sub), target,
                          action, sleep)


def with_escalated(response, escalated):
    """A SOFT_FIRST answer naming its escalated servers.

    The bare 200 becomes ``{"escalated": [...]}`` when any were escalated;
    a JSON answer (failures, representation) gets ``escalated`` always.
    """
    if escalated is None:
        return response
    if not response.body:
        if not escalated:
            return response
        return results.json_response(response.status_code,
                                     {'escalated': escalated})
    body = json.loads(response.body)
    body['escalated'] = escalated
    response.body = json.dumps(body).encode('utf-8')
    return response


def grace_of(action, body, max_grace, default_grace):
    """``action`` with its SOFT_FIRST grace from ``body``.

    ``grace`` with another reboot type, or over ``[jobs] max_grace``: a
    400 naming it.
    """
    reboot = body.get(base.REBOOT) if isinstance(body, dict) else None
    given = reboot.get('grace') if isinstance(reboot, dict) else None
    if not soft_first.is_soft_first(action):
        if given is not None:
            raise exception.BadRequest(
                'Field "reboot.grace" in the request body applies to '
                '"type": "SOFT_FIRST" only.')
        return action
    if given is not None and given > max_grace:
        raise exception.BadRequest(
            'Field "reboot.grace" in the request body is %s; at most %d '
            'seconds are allowed ([jobs] max_grace).'
            % (exception.quote(given, 40), max_grace))
    return dataclasses.replace(action, grace=float(
        default_grace if given is None else given))
