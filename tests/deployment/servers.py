"""Real servers on loopback for the deployment tests.

Everything here starts a real program as a child process and stops it by
its own process group: Apache through ``mod_wsgi-express``, Debian's
``memcached``, vmact's ``vmact-api`` console script. The Apache fixtures
serve vmact from a virtualenv built with Debian's ``/usr/bin/python3``,
because Apache's workers run as ``www-data`` and ``www-data`` cannot read
a Python installed in root's home directory (pyenv's).

That virtualenv (vmact's requirements plus mod_wsgi, compiled against
Debian's Apache) is cached between runs under
``$VMACT_DEPLOYMENT_CACHE`` (default ``/var/cache/vmact-deployment``),
keyed by a hash of requirements.txt and the mod_wsgi requirement; vmact
itself is built from the work tree afresh for every test run and
installed with ``--target`` into a directory of its own, so the cached
virtualenv is never modified once built and concurrent runs can share it.

Debian packages these fixtures need: apache2, apache2-dev, python3-dev,
python3-venv, memcached (``.ci/run`` installs them).
"""

import atexit
import contextlib
import fcntl
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import fixtures
import testtools

from tests.support import ports
from tests.support import processes

REPO = processes.REPO_ROOT
DEV_CONF = os.path.join(REPO, 'etc', 'vmact', 'vmact-dev.conf')
PASTE_INI = os.path.join(REPO, 'etc', 'vmact', 'api-paste.ini')
SAMPLE_VHOST = os.path.join(REPO, 'etc', 'apache2', 'vmact.conf')

SYSTEM_PYTHON = '/usr/bin/python3'
APACHE_USER = 'www-data'
MOD_WSGI_REQUIREMENT = 'mod_wsgi>=5.0'
CACHE_ROOT = os.environ.get('VMACT_DEPLOYMENT_CACHE',
                            '/var/cache/vmact-deployment')
LOCALE = processes.LOCALE
MISSING = ('%s is missing: the deployment tests need Debian\'s apache2, '
           'apache2-dev, python3-dev, python3-venv and memcached '
           '(apt-get install them; .ci/run does).')


def require(path):
    """Fail (not skip) with a clear message when a program is missing."""
    if not os.path.exists(path):
        raise AssertionError(MISSING % path)
    return path


def world_readable_tempdir(prefix):
    """A temporary directory www-data can read, under /tmp."""
    path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(path, 0o755)
    return path


def fixture_tempdir(fixture, prefix):
    """A world-readable temporary directory, removed at cleanup."""
    path = world_readable_tempdir(prefix)
    fixture.addCleanup(shutil.rmtree, path, True)
    return path


def make_readable(path):
    """chmod a+rX, recursively: www-data reads what root wrote."""
    for root, dirs, files in os.walk(path):
        os.chmod(root, 0o755)
        for name in files:
            full = os.path.join(root, name)
            os.chmod(full, os.stat(full).st_mode | 0o444)


def write_config(directory, text, name='vmact.conf', paste_ini=True,
                 state=None):
    """Write a vmact config file, and api-paste.ini beside it if asked.

    The jobs database is a sqlite file in ``state`` (default
    ``directory/state``; writable by Apache's user), its schema made at
    start.
    """
    if paste_ini:
        shutil.copy(PASTE_INI, os.path.join(directory, 'api-paste.ini'))
    state = state or os.path.join(directory, 'state')
    os.makedirs(state, exist_ok=True)
    lines = [line for line in text.splitlines()
             if not line.startswith('state_path')]
    text = '\n'.join(lines) + ('\n\n[DEFAULT]\nstate_path = %s\n\n'
                               '[database]\nsync_on_startup = true\n'
                               % state)
    path = os.path.join(directory, name)
    with open(path, 'w') as conf_file:
        conf_file.write(text)
    make_readable(directory)
    # After make_readable, which gives directories 0755: sqlite writes
    # its database and journal here as Apache's user.
    os.chmod(state, 0o777)
    return path


def dev_config(port, extra=''):
    """The dev config (noauth, simulator agents) on another port.

    ``transition_delay = 0`` so a status read right after an action shows
    its effect.
    """
    with open(DEV_CONF) as dev:
        lines = dev.read().splitlines()
    out = []
    for line in lines:
        if line.startswith('port ='):
            line = 'port = %d' % port
        elif line.startswith('transition_delay ='):
            line = 'transition_delay = 0'
        out.append(line)
    return '\n'.join(out) + '\n' + extra


class Process(fixtures.Fixture):
    """A child process in its own session, stopped with its whole group.

    Its output goes to a log file that is attached to the test's details
    (visible when a test fails).
    """

    def __init__(self, name, argv, env=None, cwd=None, log_dir=None):
        super().__init__()
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log_dir = log_dir

    def _setUp(self):
        log_dir = self.log_dir or self.useFixture(fixtures.TempDir()).path
        self.log_path = os.path.join(log_dir, '%s.log' % self.name)
        self.child = processes.Child(self.name, self.argv, self.log_path,
                                     env=self.env, cwd=self.cwd).start()
        self.proc = self.child.popen
        self.addCleanup(self.child.stop, 20)
        self.addDetail(self.name, testtools.content.content_from_file(
            self.log_path, buffer_now=False))

    def output(self):
        return self.child.output()

    def wait_for_port(self, port, timeout=60, path=None):
        """Wait until ``port`` accepts connections (and ``path`` is 200)."""
        self.child.wait_for_port(port, timeout, path)


@contextlib.contextmanager
def _locked(path):
    with open(path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(argv, **kwargs):
    env = dict(os.environ)
    env.update(LOCALE)
    env.pop('PYTHONPATH', None)
    env.pop('VIRTUAL_ENV', None)
    done = subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=env, **kwargs)
    if done.returncode:
        raise AssertionError('%s failed (%d):\n%s' % (
            ' '.join(argv), done.returncode,
            done.stdout.decode('utf-8', 'replace')[-8000:]))
    return done.stdout.decode('utf-8', 'replace')


def system_venv():
    """The cached www-data-readable virtualenv; build it when needed.

    Debian's python3 plus vmact's requirements, mod_wsgi (compiled against
    Debian's Apache by its apxs) and the build tools that install vmact
    without build isolation. Keyed by everything that goes into it.
    """
    require(SYSTEM_PYTHON)
    require('/usr/sbin/apache2')
    require('/usr/bin/apxs')
    with open(os.path.join(REPO, 'requirements.txt'), 'rb') as reqs:
        requirements = reqs.read()
    version = _run([SYSTEM_PYTHON, '--version']).strip()
    key = hashlib.sha256(b'\0'.join([
        requirements, MOD_WSGI_REQUIREMENT.encode(), version.encode(),
        b'layout-1'])).hexdigest()[:16]
    os.makedirs(CACHE_ROOT, exist_ok=True)
    os.chmod(CACHE_ROOT, 0o755)
    venv = os.path.join(CACHE_ROOT, 'venv-%s' % key)
    marker = os.path.join(venv, '.complete')
    with _locked(os.path.join(CACHE_ROOT, '.lock')):
        if not os.path.exists(marker):
            shutil.rmtree(venv, ignore_errors=True)
            _run([SYSTEM_PYTHON, '-m', 'venv', venv])
            pip = os.path.join(venv, 'bin', 'pip')
            _run([pip, 'install', '--quiet', '--upgrade', 'pip',
                  'setuptools', 'wheel', 'pbr'])
            _run([pip, 'install', '--quiet', '-r',
                  os.path.join(REPO, 'requirements.txt'),
                  MOD_WSGI_REQUIREMENT])
            make_readable(venv)
            with open(marker, 'w') as done:
                done.write(version + '\n')
    return venv


_BUILT = {}


def vmact_site(venv):
    """vmact built from the work tree once per test process; its path.

    Both Apache fixtures of a run share it (building takes seconds); it
    is removed when the process exits.
    """
    if venv not in _BUILT:
        parent = world_readable_tempdir('vmact-site-')
        atexit.register(shutil.rmtree, parent, True)
        _BUILT[venv] = install_vmact(venv, os.path.join(parent, 'site'))
    return _BUILT[venv]


def install_vmact(venv, target):
    """Build vmact from the work tree into ``target`` (no dependencies).

    pbr takes the version from the git checkout. ``target/bin`` gets the
    console and WSGI scripts, ``vmact-wsgi`` among them.
    """
    _run([os.path.join(venv, 'bin', 'pip'), 'install', '--quiet',
          '--no-deps', '--no-build-isolation', '--target', target, REPO],
         cwd=REPO)
    make_readable(target)
    return target


def install_wheel(venv, target_venv, directory):
    """Build a wheel of the work tree; pip-install it into ``target_venv``.

    The wheel is built with the cached venv's build tools; ``target_venv``
    must already see vmact's requirements. pip lays it out as for any
    user: vmact in site-packages, ``vmact-wsgi`` in ``bin``, the data files
    (api-paste.ini) in ``<target_venv>/etc/vmact``. Returns the wheel.
    """
    dist = os.path.join(directory, 'dist')
    _run([os.path.join(venv, 'bin', 'pip'), 'wheel', '--quiet', '--no-deps',
          '--no-build-isolation', '-w', dist, REPO], cwd=REPO)
    wheel = glob.glob(os.path.join(dist, 'vmact-*.whl'))[0]
    _run([os.path.join(target_venv, 'bin', 'python'), '-m', 'pip',
          'install', '--quiet', '--no-deps', '--no-index', wheel])
    return wheel


class VmactUnderApache(fixtures.Fixture):
    """vmact served by real Apache httpd through mod_wsgi-express.

    ``mod_wsgi-express`` refuses to serve as root, so the workers and the
    daemon processes run as www-data; every file they read (the venv,
    vmact, the config) is made readable to it.
    """

    def __init__(self, config_text_for_port, processes=2, threads=4):
        super().__init__()
        self.config_text_for_port = config_text_for_port
        self.processes = processes
        self.threads = threads

    def _setUp(self):
        venv = system_venv()
        self.dir = fixture_tempdir(self, 'vmact-apache-')
        site = vmact_site(venv)
        self.port = ports.free_port()
        conf_dir = os.path.join(self.dir, 'etc')
        os.makedirs(conf_dir)
        self.config_file = write_config(
            conf_dir, self.config_text_for_port(self.port))
        server_root = os.path.join(self.dir, 'apache')
        self.wsgi_script = os.path.join(site, 'bin', 'vmact-wsgi')
        argv = [os.path.join(venv, 'bin', 'mod_wsgi-express'),
                'start-server', self.wsgi_script,
                '--host', '127.0.0.1', '--port', str(self.port),
                '--user', APACHE_USER, '--group', APACHE_USER,
                '--server-root', server_root,
                '--python-path', site,
                '--processes', str(self.processes),
                '--threads', str(self.threads),
                '--locale', 'C.UTF-8',
                '--log-to-terminal', '--log-level', 'info',
                '--access-log', '--access-log-format',
                '%h "%r" %>s %b %D req=%{x-openstack-request-id}o']
        # Apache's environment reaches the daemon processes' os.environ,
        # which is where vmact.wsgi reads VMACT_CONFIG_FILES.
        self.process = self.useFixture(Process(
            'apache', argv, env={'VMACT_CONFIG_FILES': self.config_file},
            cwd=self.dir, log_dir=self.dir))
        self.process.wait_for_port(self.port, timeout=90,
                                   path='/healthcheck')

    def log(self):
        return self.process.output()


class SampleVhost(fixtures.Fixture):
    """Debian's apache2 serving vmact with etc/apache2/vmact.conf as is.

    A minimal httpd.conf loads the MPM, the modules the vhost uses and
    mod_wsgi (from the cached venv), ``Define``s the vhost's settings for
    this test (port, virtualenv, log directory, processes, threads), then
    ``Include``s the sample unchanged. The virtualenv the vhost names is
    an overlay: an empty venv of Debian's python3 whose ``.pth`` file adds
    the cached venv's packages and this run's vmact, with ``vmact-wsgi``
    in its ``bin``, exactly where the vhost expects an installed vmact.
    """

    HTTPD_CONF = """\
ServerRoot {root}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel info
ServerName 127.0.0.1
User {user}
Group {user}
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule wsgi_module {mod_wsgi}
WSGISocketPrefix {root}/wsgi
Define VMACT_PORT {port}
Define VMACT_LISTEN 127.0.0.1:{port}
Define VMACT_VENV {overlay}
Define VMACT_LOG_DIR {root}
Define VMACT_PROCESSES 2
Define VMACT_THREADS 4
Include {vhost}
"""

    def __init__(self, config_text_for_port, wheel=False):
        """``wheel``: vmact installed as a user installs it.

        From a wheel into the overlay itself (:func:`install_wheel`), with
        only the config file in its directory, no api-paste.ini.
        """
        super().__init__()
        self.config_text_for_port = config_text_for_port
        self.wheel = wheel

    def _setUp(self):
        venv = system_venv()
        self.dir = fixture_tempdir(self, 'vmact-vhost-')
        overlay = os.path.join(self.dir, 'venv')
        _run([SYSTEM_PYTHON, '-m', 'venv', '--without-pip', overlay])
        packages = glob.glob(os.path.join(overlay, 'lib', 'python3*',
                                          'site-packages'))[0]
        cached = glob.glob(os.path.join(venv, 'lib', 'python3*',
                                        'site-packages'))[0]
        if self.wheel:
            with open(os.path.join(packages, 'vmact-test.pth'), 'w') as pth:
                pth.write('%s\n' % cached)
            install_wheel(venv, overlay, self.dir)
        else:
            site = vmact_site(venv)
            with open(os.path.join(packages, 'vmact-test.pth'), 'w') as pth:
                pth.write('%s\n%s\n' % (site, cached))
            shutil.copy(os.path.join(site, 'bin', 'vmact-wsgi'),
                        os.path.join(overlay, 'bin', 'vmact-wsgi'))
        self.venv = overlay
        self.port = ports.free_port()
        conf_dir = os.path.join(self.dir, 'etc')
        os.makedirs(conf_dir)
        self.config_file = write_config(
            conf_dir, self.config_text_for_port(self.port),
            paste_ini=not self.wheel, state=os.path.join(self.dir, 'state'))
        root = os.path.join(self.dir, 'apache')
        os.makedirs(root)
        mod_wsgi = _run([os.path.join(venv, 'bin', 'mod_wsgi-express'),
                         'module-location']).strip()
        self.httpd_conf = os.path.join(self.dir, 'httpd.conf')
        with open(self.httpd_conf, 'w') as conf:
            conf.write(self.HTTPD_CONF.format(
                root=root, port=self.port, user=APACHE_USER,
                mod_wsgi=mod_wsgi, overlay=overlay, vhost=SAMPLE_VHOST))
        make_readable(self.dir)
        _run(['/usr/sbin/apache2', '-t', '-f', self.httpd_conf])
        self.root = root
        self.process = self.useFixture(Process(
            'apache2-vhost',
            ['/usr/sbin/apache2', '-f', self.httpd_conf, '-DFOREGROUND'],
            env={'VMACT_CONFIG_FILES': self.config_file}, cwd=self.dir,
            log_dir=self.dir))
        for name in ('error.log', 'vmact-error.log', 'vmact-access.log'):
            self.addDetail(name, testtools.content.content_from_file(
                os.path.join(root, name), buffer_now=False))
        self.process.wait_for_port(self.port, timeout=90,
                                   path='/healthcheck')

    def read_log(self, name):
        path = os.path.join(self.root, name)
        if not os.path.exists(path):
            return ''
        with open(path, encoding='utf-8', errors='replace') as log:
            return log.read()


class VmactApi(fixtures.Fixture):
    """vmact's console script, ``vmact-api``, from this test environment."""

    def __init__(self, name, config_text_for_port, log_dir=None):
        super().__init__()
        self.name = name
        self.config_text_for_port = config_text_for_port
        self.log_dir = log_dir

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.port = ports.free_port()
        self.config_file = write_config(
            self.dir, self.config_text_for_port(self.port))
        self.process = self.useFixture(Process(
            self.name, processes.vmact_api_command(self.config_file),
            cwd=self.dir, log_dir=self.log_dir or self.dir))
        self.process.wait_for_port(self.port, timeout=60,
                                   path='/healthcheck')

    def log(self):
        return self.process.output()


class Memcached(fixtures.Fixture):
    """Debian's memcached on a loopback port, UDP off."""

    BINARY = '/usr/bin/memcached'

    def _setUp(self):
        require(self.BINARY)
        self.port = ports.free_port()
        user = 'memcache'
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = 'nobody'
        self.process = self.useFixture(Process('memcached', [
            self.BINARY, '-l', '127.0.0.1', '-p', str(self.port), '-U', '0',
            '-m', '16', '-u', user]))
        self.process.wait_for_port(self.port, timeout=20)

    @property
    def server(self):
        return '127.0.0.1:%d' % self.port

    def stats(self):
        """memcached's ``stats`` counters, as a dict of strings."""
        with socket.create_connection(('127.0.0.1', self.port), 5) as sock:
            sock.sendall(b'stats\r\n')
            data = b''
            while not data.endswith(b'END\r\n'):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        stats = {}
        for line in data.decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == 'STAT':
                stats[parts[1]] = parts[2]
        return stats
