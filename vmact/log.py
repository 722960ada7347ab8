"""Logging helpers: the request id on every line, secrets never.

The request id reaches every line through oslo.context's per-thread store,
filled by :mod:`vmact.api.middleware.log_context` and emptied by
:func:`clear_store`.

:class:`MaskSecretsFilter` is a safety net on every log handler: any line
that looks like it carries a password, token or secret (``password=...``,
``"token": "..."``, ``X-Auth-Token: ...``) is masked with
:func:`oslo_utils.strutils.mask_password` before it is written.
keystoneauth already hashes tokens in its debug lines and never logs an
authentication body, and oslo.config masks ``secret`` options; this
covers whatever a library, or a future log call, does not.
"""

import logging
import re

from oslo_context import context as oslo_context
from oslo_utils import strutils

#: A token header as a curl line or a header dump shows it, unless
#: keystoneauth already replaced the value with its {SHA256} hash.
_TOKEN_HEADER = re.compile(
    r'((?:x-(?:auth|subject|service)-token|token)["\']?\s*:\s*["\']?)'
    r'(?!\{SHA256\})[^\s"\',}]+', re.IGNORECASE)


def clear_store():
    """Forget this thread's stored request context."""
    oslo_context._request_store.context = None


class MaskSecretsFilter(logging.Filter):
    """Mask passwords and tokens in a record's message and traceback.

    An exception's text can carry a token too (Keystone's 404 says
    ``Could not find token: <id>``), and oslo.log's formatter renders
    ``exc_info`` itself, after every filter: a record with a traceback
    therefore gets its masked traceback appended to its message instead.
    """

    _tracebacks = logging.Formatter()

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            return True
        folded = bool(record.exc_info)
        if folded:
            message = '%s\n%s' % (
                message, self._tracebacks.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        masked = mask(message)
        if folded or masked != message:
            record.msg = masked
            record.args = ()
        return True


def mask(message):
    """``message`` with passwords, secrets and token values masked."""
    return _TOKEN_HEADER.sub(r'\1***', strutils.mask_password(message))


def install_masking(logger=None):
    """Add the MaskSecretsFilter to every handler of ``logger`` (root).

    Filters on a handler see the records of every logger that propagates
    to it, which a filter on the root logger itself would not.
    """
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskSecretsFilter) for f in handler.filters):
            handler.addFilter(MaskSecretsFilter())
