"""Paste Deploy factories that assemble the service.

``pipeline_factory`` picks the pipeline named by ``[api] auth_strategy``
from the composite section of api-paste.ini, as Nova's api-paste.ini once
did. ``load_app`` finds api-paste.ini and loads it.
"""

from oslo_config import cfg
from paste import deploy

from vmact import conf as vmact_conf
from vmact import exception


def pipeline_factory(loader, global_conf, **local_conf):
    """Build the pipeline whose name is ``[api] auth_strategy``."""
    strategy = vmact_conf.CONF.api.auth_strategy
    if strategy not in local_conf:
        raise exception.ConfigError(
            'api-paste.ini has no pipeline for [api] auth_strategy = %s'
            % strategy)
    names = local_conf[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app


def load_app(conf=None, name='main'):
    """Load the WSGI application from ``[api] api_paste_config``."""
    conf = conf or vmact_conf.CONF
    path = conf.find_file(conf.api.api_paste_config)
    if path is None:
        raise cfg.ConfigFilesNotFoundError([conf.api.api_paste_config])
    return deploy.loadapp('config:%s' % path, name=name)
