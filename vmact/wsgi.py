"""The WSGI entry point for Apache mod_wsgi (and any WSGI server).

pbr installs it as the ``vmact-wsgi`` script (``wsgi_scripts``). Config
files come from ``VMACT_CONFIG_FILES`` (comma-separated) when set,
otherwise from oslo.config's usual places (``/etc/vmact/vmact.conf``, ...).
"""

import os

from vmact.api import pipeline
from vmact import service

CONFIG_FILES_ENV = 'VMACT_CONFIG_FILES'


def init_application():
    """Parse the config once and return the loaded paste application."""
    files = os.environ.get(CONFIG_FILES_ENV)
    config_files = [f for f in files.split(',') if f] if files else None
    service.prepare_service([], config_files=config_files)
    return pipeline.load_app()
