"""vmact.conf written from sections: ``{section: {option: value}}``.

A value that is a list or tuple is written comma-separated, a bool as
``true``/``false``, None leaves the option out. The builders return the
sections every keystone-strategy config repeats.
"""

import os

from tests.support import processes

PASTE_INI = os.path.join(processes.REPO_ROOT, 'etc', 'vmact',
                         'api-paste.ini')


def _value(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ','.join(str(item) for item in value)
    return str(value)


def render(sections):
    """The text of a config file holding ``sections``, in their order."""
    lines = []
    for section, options in sections.items():
        lines.append('[%s]' % section)
        lines.extend('%s = %s' % (option, _value(value))
                     for option, value in options.items()
                     if value is not None)
        lines.append('')
    return '\n'.join(lines)


def write(path, sections):
    """Write ``sections`` to ``path``; returns ``path``."""
    with open(path, 'w') as conf:
        conf.write(render(sections))
    return path


def merge(sections, overrides):
    """Set each ``(section, option, value)`` of ``overrides``; in place."""
    for section, option, value in overrides:
        sections.setdefault(section, {})[option] = value
    return sections


def api(port, agents, **options):
    """``[api]`` for the keystone strategy; the first agent is the default."""
    return dict({'auth_strategy': 'keystone', 'api_paste_config': PASTE_INI,
                 'host': '127.0.0.1', 'port': port,
                 'enabled_agents': list(agents), 'default_agent': agents[0]},
                **options)


def password_auth(auth_url, username, password, project='service'):
    """keystoneauth ``password`` plugin options, Default domain."""
    return {'auth_type': 'password', 'auth_url': auth_url,
            'username': username, 'password': password,
            'project_name': project, 'user_domain_name': 'Default',
            'project_domain_name': 'Default'}


def keystone_authtoken(auth_url, username, password, project='service',
                       **options):
    """``[keystone_authtoken]``: a service user, one bounded try per call."""
    return dict(www_authenticate_uri=auth_url,
                **password_auth(auth_url, username, password, project),
                interface='public', http_connect_timeout=2,
                http_request_max_retries=0, **options)
