"""The ``[trustee]`` group: vmact's service user that receives trusts.

In token mode a job acts as its caller long after the caller's token has
expired: the API asks Keystone for a trust from the caller to this user,
the engine authenticates as this user with the trust's id, and deletes
the trust when the job ends (:mod:`vmact.jobs.trusts`). As Heat's and
Magnum's ``[trustee]``: keystoneauth's ``auth_type`` and its plugin's
options (``auth_url``, ``username``, ``password``, ``user_domain_name``;
leave the project unset: a trust scopes the token itself), and the
session options (``timeout``, ``cafile``, ``insecure``).

Every call to Keystone made for a trust has ``timeout`` seconds, 10 by
default, to connect and for each read.
"""

from keystoneauth1 import loading as ks_loading

GROUP = 'trustee'

#: Seconds for each connect and read of a call to Keystone about trusts.
DEFAULT_TIMEOUT = 10


def register_opts(conf):
    ks_loading.register_auth_conf_options(conf, GROUP)
    ks_loading.register_session_conf_options(conf, GROUP)
    conf.set_default('timeout', DEFAULT_TIMEOUT, group=GROUP)


def list_opts():
    """The sample's options: the auth and session options, password's."""
    opts = (ks_loading.get_auth_common_conf_options()
            + ks_loading.get_session_conf_options()
            + ks_loading.get_auth_plugin_conf_options('password'))
    for opt in opts:
        if opt.dest == 'timeout':
            opt.default = DEFAULT_TIMEOUT
    return {GROUP: sorted(opts, key=lambda opt: opt.name)}
