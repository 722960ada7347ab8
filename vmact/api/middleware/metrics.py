"""Count every API request: by agent, action and status; in flight.

Runs just inside the ``fault`` filter, so it sees each answer the client
gets (an exception from further in is counted as the 500 ``fault``
renders). The agent is the one ``sp_agent`` chose (``none`` when the
request ended before, e.g. a 401); the action is the one the vm_act app
parsed (``os-start``, ``os-stop``, ``reboot``, ``show``, ``jobs``), else
``none``: labels never carry what a client typed, so their number stays
bounded.
"""

from vmact.api import middleware
from vmact import conf as vmact_conf
from vmact import metrics


class RequestMetrics(middleware.Filter):
    """Count the request when its answer starts; in flight meanwhile."""

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        metrics.setup(vmact_conf.CONF)

    def __call__(self, environ, start_response):
        counted = []

        def counting_start_response(status, headers, exc_info=None):
            if not counted:
                counted.append(status.split(' ', 1)[0])
            return start_response(status, headers, exc_info)

        with metrics.gauge_up('in_flight'):
            try:
                return self.application(environ, counting_start_response)
            except BaseException:
                if not counted:
                    counted.append('500')
                raise
            finally:
                backend = environ.get(middleware.BACKEND_KEY)
                metrics.request_done(
                    getattr(backend, 'agent', None),
                    environ.get(metrics.ACTION_KEY),
                    counted[0] if counted else 'none')
