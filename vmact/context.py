"""The request context: who is calling, for which project, with which token.

A thin :class:`oslo_context.context.RequestContext` that also carries the
keystoneauth plugin keystonemiddleware built for the validated token, so a
backend can act as the caller without another Keystone round trip. The
token-auth filter builds it with oslo.context's ``from_environ`` and
stores it in ``environ[vmact.api.middleware.CONTEXT_KEY]``.
"""

from oslo_context import context


class RequestContext(context.RequestContext):
    """oslo.context's context plus the caller's auth plugin."""

    def __init__(self, auth_plugin=None, **kwargs):
        super().__init__(**kwargs)
        self.auth_plugin = auth_plugin
