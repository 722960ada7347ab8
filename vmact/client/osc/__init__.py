"""The ``openstack vm ...`` commands (osc-lib and cliff: the ``osc`` extra)."""
