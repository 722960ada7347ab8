#!/usr/bin/env python3
"""Start vmact's development server; needs only Python 3 and pip.

    python3 tools/dev_server.py [vmact-api options]

Makes a virtualenv in the checkout (``.venv/dev``), installs vmact into
it (editable, with its requirements from PyPI), then runs ``vmact-api
--config-file etc/vmact/vmact-dev.conf`` (noauth, simulated servers, on
127.0.0.1:8790) with any further options appended, e.g.
``--config-file my-overrides.conf``. vmact is installed again only when
requirements.txt, setup.cfg or the Python change. Ctrl-C stops the
server; starting it again resets the simulated servers.
"""

import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, '.venv', 'dev')
DEV_CONF = os.path.join(ROOT, 'etc', 'vmact', 'vmact-dev.conf')
STAMP = os.path.join(VENV, '.vmact-installed')


def install_key():
    """What the installed virtualenv depends on, as one hash."""
    digest = hashlib.sha256(sys.version.encode())
    for name in ('requirements.txt', 'setup.cfg'):
        with open(os.path.join(ROOT, name), 'rb') as source:
            digest.update(source.read())
    return digest.hexdigest()


def installed(key):
    try:
        with open(STAMP) as stamp:
            return stamp.read().strip() == key
    except OSError:
        return False


def install(key):
    """(Re)create the virtualenv and install vmact into it."""
    print('Installing vmact and its requirements into %s '
          '(about a minute the first time)...' % VENV, flush=True)
    try:
        venv.EnvBuilder(clear=True, with_pip=True).create(VENV)
    except subprocess.CalledProcessError as error:
        sys.exit('Could not create %s (%s). On Debian or Ubuntu, install '
                 'python3-venv first.' % (VENV, error))
    python = os.path.join(VENV, 'bin', 'python')
    subprocess.run([python, '-m', 'pip', 'install', '--quiet',
                    '--disable-pip-version-check', '-e', ROOT],
                   check=True, cwd=ROOT)
    with open(STAMP, 'w') as stamp:
        stamp.write(key + '\n')


def main(argv):
    key = install_key()
    if not installed(key):
        install(key)
    script = os.path.join(VENV, 'bin', 'vmact-api')
    command = [script, '--config-file', DEV_CONF] + argv
    print(' '.join(command), flush=True)
    os.execv(script, command)


if __name__ == '__main__':
    main(sys.argv[1:])
