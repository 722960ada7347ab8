"""Paste Deploy factories that assemble the service.

``urlmap_factory`` sends ``/healthcheck`` to its app and every other path
to the API. ``pipeline_factory`` picks the pipeline named by
``[api] auth_strategy`` from the composite section of api-paste.ini, as
Nova's api-paste.ini once did. ``load_app`` finds api-paste.ini and loads
it.
"""

from oslo_config import cfg
from paste import deploy

from vmact import conf as vmact_conf
from vmact import exception


class URLMap(object):
    """Dispatch on the longest matching path prefix, path left as sent.

    Paste's own urlmap folds ``//`` in the request path, which would turn
    ``/mana_api/vm_act/t/r/%2Fvm-1`` into an action on ``vm-1``; this one
    moves the prefix to SCRIPT_NAME and changes nothing else.
    """

    def __init__(self, apps):
        self.apps = sorted(apps.items(), key=lambda item: -len(item[0]))

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        for prefix, app in self.apps:
            if path == prefix or path.startswith(prefix + '/'):
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME',
                                                     '') + prefix
                environ['PATH_INFO'] = path[len(prefix):]
                return app(environ, start_response)
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'Not Found']


def urlmap_factory(loader, global_conf, **local_conf):
    """``/prefix = app`` lines; ``/`` catches every other path."""
    return URLMap({prefix.rstrip('/'): loader.get_app(name)
                   for prefix, name in local_conf.items()})


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
