"""Jobs: batch actions that outlive the request (engine, runner, RPC).

oslo.service 4.x picks its eventlet backend unless told otherwise the
first time any of its modules is loaded (oslo.messaging loads one), so
this package selects the threading backend before anything of vmact's
imports them. vmact never monkey-patches eventlet.
"""

from oslo_service import backend as _service_backend

if _service_backend.get_backend_type() is None:
    _service_backend.init_backend(_service_backend.BackendType.THREADING)
