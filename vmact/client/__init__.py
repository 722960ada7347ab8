"""vmact's Python client (keystoneauth1) and its OpenStackClient plugin.

``vmact.client.Client(session)`` needs only keystoneauth1; the plugin
(``vmact.client.osc``) needs osc-lib and cliff, the ``osc`` extra
(``pip install vmact[osc]``).
"""

from vmact.client.client import Client  # noqa: F401
from vmact.client.client import SERVICE_TYPE  # noqa: F401
from vmact.client import exceptions  # noqa: F401
from vmact.client.jobs import Job  # noqa: F401
