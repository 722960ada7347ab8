"""Errors that end a whole request, each with its HTTP status.

Per-server failures are not exceptions: backends report them as
:class:`vmact.backends.base.Outcome` values so one bad server never stops
the others.
"""

import json


class VmactError(Exception):
    """An error of the whole request, rendered as ``{msg, code, reason}``.

    The error format: doc/source/api-rules.rst, "Error format".
    """

    code = 500

    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.msg = msg
        if code is not None:
            self.code = code


class BadRequest(VmactError):
    code = 400


class Unauthorized(VmactError):
    code = 401


class Forbidden(VmactError):
    code = 403


class NotFound(VmactError):
    code = 404


class UnknownRegion(BadRequest):
    """The backend has no endpoint for the requested region."""

    def __init__(self, region, known):
        known_txt = ', '.join(sorted(known)) or '(none)'
        super().__init__("Unknown region %s; known regions: %s"
                         % (quote(region), known_txt))
        self.region = region
        self.known = sorted(known)


class BackendUnavailable(VmactError):
    """The backend (or its identity service) could not be reached."""

    code = 503


class BackendError(VmactError):
    """The backend answered with a server error."""

    code = 502


class BackendTimeout(VmactError):
    code = 504


class ConfigError(Exception):
    """A configuration problem that stops the service at start."""


def quote(value, limit=80):
    """Render a client-supplied value safely for an error message.

    Non-ASCII and control characters are escaped (JSON style), and long
    values are cut, so a message never carries raw bytes, CRLF or a
    megabyte of input back to the client or into a log line.
    """
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'backslashreplace')
    text = json.dumps(value, ensure_ascii=True)
    if len(text) > limit:
        text = text[:limit - 4] + '...' + text[-1]
    return text
