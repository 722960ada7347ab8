"""Version 1 of the ``openstack vm`` commands."""
