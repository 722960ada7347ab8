"""Start-up shared by the console script and the WSGI entry point."""

from oslo_log import log as logging

from vmact import conf as vmact_conf
from vmact import log as vmact_log
from vmact import policy


def prepare_service(argv=None, config_files=None, conf=None):
    """Parse the command line and config files, then set up logging.

    oslo.log writes every line with the request context's prefix (the
    request id, user, project); :func:`vmact.log.install_masking` masks
    anything that looks like a password or a token on every handler.
    """
    conf = conf or vmact_conf.CONF
    conf(argv or [], project='vmact', default_config_files=config_files)
    logging.setup(conf, 'vmact')
    vmact_log.install_masking()
    policy.get_enforcer(conf)
    return conf
