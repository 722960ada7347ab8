"""``Idempotency-Key`` on every POST: a retried request never acts twice.

The key (1 to 255 printable ASCII characters) is scoped to the request's
``tenant_id``. Its fingerprint is the SHA-256 of the method, the path
(one trailing slash dropped), the agent and the parsed body serialised
canonically, so white space and key order do not matter. Checked after
the request was validated and authorized:

- the key is stored with the same fingerprint and an answer: that answer
  again (status, body, ``Location``), with ``Idempotent-Replayed: true``;
- stored with another fingerprint: 409 naming the key;
- claimed by a request still in progress: 409 with ``Retry-After: 1``;
- otherwise the key is claimed, the request acts, and its answer is
  stored (a job's 202 in the job's own transaction). An answer that must
  not be replayed releases the claim instead, so the client can retry: a
  5xx, a 429, or an error raised before anything was sent.

Keys live ``[jobs] retention`` days (``vmact-manage jobs purge``).
"""

import hashlib
import json

from oslo_log import log as logging
import webob

from vmact.api import jobs
from vmact.api import results
from vmact.db import api as db
from vmact import exception
from vmact.exception import quote

LOG = logging.getLogger(__name__)

HEADER = 'Idempotency-Key'
REPLAYED = 'Idempotent-Replayed'
MAX_LENGTH = 255
#: Response headers stored with an answer and replayed with it.
KEPT_HEADERS = ('Content-Type', 'Location', 'Preference-Applied')


class Conflict(exception.VmactError):
    code = 409


def key_of(req):
    """The request's key, or None; a 400 when it is not a valid key."""
    key = req.headers.get(HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= MAX_LENGTH
            and all(' ' <= c <= '~' for c in key)):
        raise exception.BadRequest(
            'Header %s is %s; expected 1 to %d printable ASCII characters.'
            % (HEADER, quote(key), MAX_LENGTH))
    return key


def fingerprint(method, path, agent, body):
    """SHA-256 (hex) of what makes two requests the same request."""
    if path.endswith('/') and path != '/':
        path = path[:-1]
    canonical = json.dumps([method, path, agent, body], sort_keys=True,
                           separators=(',', ':'), ensure_ascii=True)
    return hashlib.sha256(canonical.encode('ascii')).hexdigest()


class Claim(object):
    """A key this request holds while it acts."""

    def __init__(self, tenant_id, key, print_):
        self.tenant_id = tenant_id
        self.key = key
        self.fingerprint = print_
        self.in_job = False

    def done(self, status, response):
        """The key's row for :func:`vmact.db.api.create_job`."""
        self.in_job = True
        return {'tenant_id': self.tenant_id, 'key': self.key,
                'fingerprint': self.fingerprint, 'status': status,
                'headers': _kept(response), 'body': response.text,
                'claimed': True}

    def finish(self, response):
        """Store ``response`` to replay, or release the key.

        Never raises: the request has acted, and its answer is given
        even when the database fails now. The key then stays claimed
        (409 in progress until it is purged), so the action is never
        done twice under it.
        """
        if self.in_job:
            return
        status = response.status_int
        try:
            with jobs.database('storing the Idempotency-Key\'s answer'):
                if status >= 500 or status == 429:
                    db.release_idempotency(self.tenant_id, self.key)
                else:
                    db.store_idempotency(self.tenant_id, self.key, status,
                                         _kept(response), response.text)
        except jobs.DatabaseUnavailable:
            LOG.error('Idempotency-Key %s of tenant %s stays claimed: its '
                      'answer (%d) could not be stored', quote(self.key),
                      quote(self.tenant_id), status)

    def release(self):
        """Give the key up after an error; never raises."""
        try:
            with jobs.database('releasing the Idempotency-Key'):
                db.release_idempotency(self.tenant_id, self.key)
        except jobs.DatabaseUnavailable:
            LOG.error('Idempotency-Key %s of tenant %s stays claimed: it '
                      'could not be released', quote(self.key),
                      quote(self.tenant_id))


def begin(key, tenant_id, method, path, agent, body):
    """(Claim, None) to go on, or (None, the answer to give instead)."""
    print_ = fingerprint(method, path, agent, body)
    with jobs.database('reading the Idempotency-Key'):
        found = db.get_idempotency(tenant_id, key)
        if found is None:
            if db.claim_idempotency(tenant_id, key, print_):
                return Claim(tenant_id, key, print_), None
            found = db.get_idempotency(tenant_id, key)
    if found is None:
        # Released between the refused claim and the read: retry.
        return None, _in_progress(key)
    if found['fingerprint'] != print_:
        raise Conflict(
            'Header %s %s was already used for another request (another '
            'path, agent or body) on tenant %s; use a new key for a new '
            'request.' % (HEADER, quote(key), quote(tenant_id)))
    if found['status'] is None:
        return None, _in_progress(key)
    return None, replay(found)


def replay(found):
    """The stored answer again, marked as a replay."""
    response = webob.Response(status=found['status'])
    headers = found.get('headers') or {}
    if 'Content-Type' not in headers:
        del response.content_type
    for name, value in headers.items():
        response.headers[name] = value
    if found.get('body'):
        response.body = found['body'].encode('utf-8')
    response.headers[REPLAYED] = 'true'
    return response


def _in_progress(key):
    error = Conflict('A request with %s %s is still in progress; retry '
                     'when it has finished.' % (HEADER, quote(key)))
    response = results.error_response(error.code, error.msg)
    response.retry_after = 1
    return response


def _kept(response):
    return {name: response.headers[name] for name in KEPT_HEADERS
            if name in response.headers}
