"""Paste Deploy factories that assemble the service.

``urlmap_factory`` sends ``/healthcheck`` to its app and every other path
to the API. ``pipeline_factory`` picks the pipeline named by
``[api] auth_strategy`` from the composite section of api-paste.ini, as
Nova's api-paste.ini once did. ``load_app`` finds api-paste.ini (beside
the configuration, else the one vmact's installation put on disk) and
loads it.
"""

from importlib import metadata as importlib_metadata
import os

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy

from vmact import conf as vmact_conf
from vmact import exception

LOG = logging.getLogger(__name__)


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


def installed_paste_config(name, distribution=None):
    """The file called ``name`` that vmact's own installation put on disk.

    pip installs ``data_files`` (``etc/vmact/api-paste.ini``) under the
    install scheme's data directory: ``<venv>/etc/vmact`` in a
    virtualenv, ``~/.local/etc/vmact`` with ``--user``,
    ``/usr/local/etc/vmact`` for Debian's system pip, ``<dir>/etc/vmact``
    with ``--target``. The distribution's RECORD says where, relative to
    site-packages, so ask it rather than guess from ``sys.prefix``;
    ``--target`` moves the files after writing RECORD, so its
    ``<dir>/etc/vmact`` is tried last. None when vmact is not installed
    that way (a source checkout, an editable install).
    """
    try:
        distribution = distribution or importlib_metadata.distribution(
            'vmact')
    except importlib_metadata.PackageNotFoundError:
        return None
    candidates = [distribution.locate_file(record)
                  for record in distribution.files or ()
                  if record.parts[-3:] == ('etc', 'vmact', name)]
    candidates.append(os.path.join(str(distribution.locate_file('')),
                                   'etc', 'vmact', name))
    for candidate in candidates:
        path = os.path.abspath(str(candidate))
        if os.path.isfile(path):
            return path
    return None


def find_paste_config(conf):
    """Where ``[api] api_paste_config`` is, or None.

    A relative name is looked up as oslo.config looks up files beside the
    configuration (``--config-dir``, the config files' directories,
    ``~/.vmact``, ``~``, ``/etc/vmact``, ``/etc``), then in vmact's own
    installation, so an installed vmact works with a config file alone
    and an operator's copy still wins.
    """
    name = conf.api.api_paste_config
    path = conf.find_file(name)
    if path is None and not os.path.isabs(name):
        path = installed_paste_config(name)
    return path


def load_app(conf=None, name='main'):
    """Load the WSGI application from ``[api] api_paste_config``."""
    conf = conf or vmact_conf.CONF
    path = find_paste_config(conf)
    if path is None:
        raise cfg.ConfigFilesNotFoundError([conf.api.api_paste_config])
    LOG.info('Loading the pipeline from %s', path)
    return deploy.loadapp('config:%s' % path, name=name)
