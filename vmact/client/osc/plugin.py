"""The OpenStackClient plugin: ``openstack vm ...``.

Loaded through the ``openstack.cli.extension`` entry point ``vm``.

``self.app.client_manager.vm`` is a :class:`vmact.client.Client` on the
OSC session, found in the catalog by service type ``vmact``, in the
cloud's region and interface. ``--os-vm-endpoint`` (``OS_VM_ENDPOINT``)
gives vmact's root URL instead, for a cloud whose catalog lacks it.
"""

import os

from vmact.client import client

API_NAME = 'vm'
API_VERSION_OPTION = 'os_vm_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'vmact.client.client.Client'}


def make_client(instance):
    """The vmact client of an OSC ClientManager."""
    config = instance.get_configuration() or {}
    return client.Client(
        instance.session, region_name=instance.region_name,
        interface=getattr(instance, 'interface', None) or 'public',
        endpoint_override=config.get('vm_endpoint'))


def build_option_parser(parser):
    """The plugin's global options."""
    parser.add_argument(
        '--os-vm-api-version', metavar='<vm-api-version>',
        default=os.environ.get('OS_VM_API_VERSION', DEFAULT_API_VERSION),
        help='vmact API version, default %s (Env: OS_VM_API_VERSION)'
        % DEFAULT_API_VERSION)
    parser.add_argument(
        '--os-vm-endpoint', metavar='<url>',
        default=os.environ.get('OS_VM_ENDPOINT'),
        help='vmact root URL, instead of the catalog\'s %r endpoint '
        '(Env: OS_VM_ENDPOINT)' % client.SERVICE_TYPE)
    return parser
