"""Child processes: start one, wait for its port, stop it, read its log.

Every child runs in a session of its own (stopped with its whole process
group), with its stdout and stderr in one file, and by default asks Linux
to SIGTERM it when the process that started it dies, so a SIGKILLed test
run leaves nothing behind. Every wait is bounded.
"""

import atexit
import ctypes
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

from tests.support import client
from tests.support import ports

#: The checkout, for children that import ``tests`` or read ``etc/``.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LOCALE = {'LC_ALL': 'C.UTF-8', 'LANG': 'C.UTF-8'}
POLL_INTERVAL = 0.05

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


class ChildError(Exception):
    """A child exited, or did not serve, in time."""


def set_parent_death_signal():
    """Ask Linux to SIGTERM this process when its parent thread dies.

    Covers the parent being SIGKILLed, where no atexit hook runs. Safe in
    a ``preexec_fn``: it only calls prctl(2).
    """
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def rss_kib(pid, field='VmRSS'):
    """``field`` of /proc/<pid>/status in KiB (0 when the pid is gone)."""
    try:
        with open('/proc/%d/status' % pid) as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def file_tail(path, size=6000):
    """The last ``size`` bytes of ``path`` as text ('' when missing)."""
    try:
        with open(path, 'rb') as output:
            output.seek(0, os.SEEK_END)
            output.seek(max(0, output.tell() - size))
            return output.read().decode('utf-8', 'replace')
    except OSError:
        return ''


def console_command(script_name, module, *config_files):
    """The command line of a vmact console script, with config files.

    The script beside this interpreter, else the one on PATH, else
    ``module``'s ``main()`` through ``python -c``.
    """
    script = os.path.join(os.path.dirname(sys.executable), script_name)
    if not os.path.exists(script):
        script = shutil.which(script_name)
    command = [script] if script else [
        sys.executable, '-c',
        'import sys; from %s import main; sys.exit(main())' % module]
    for config_file in config_files:
        command += ['--config-file', config_file]
    return command


def vmact_api_command(*config_files):
    """The command line of the ``vmact-api`` console script."""
    return console_command('vmact-api', 'vmact.cmd.api', *config_files)


def _user_group(user):
    return pwd.getpwnam(user).pw_gid


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


class Child(object):
    """One program in its own session, its output in ``output_path``.

    :param argv: the command line.
    :param output_path: the file that gets the child's stdout and stderr
        (stderr only with ``capture_stdout``: see :meth:`read_line`).
    :param logs: further log files the program writes itself; their
        tails are part of :meth:`output_tail`.
    :param env: variables added to this process's environment (and
        ``C.UTF-8`` locale).
    :param repo_on_path: put the checkout first on the child's
        PYTHONPATH (children that import ``tests``).
    :param pass_fds: file descriptors the child inherits.
    :param user: run the child as this system user (and its group).
    """

    def __init__(self, name, argv, output_path, logs=(), env=None, cwd=None,
                 repo_on_path=False, pass_fds=(), capture_stdout=False,
                 die_with_parent=True, user=None):
        self.name = name
        self.argv = list(argv)
        self.output_path = output_path
        self.logs = list(logs)
        self.env = dict(os.environ, **LOCALE)
        if repo_on_path:
            self.env['PYTHONPATH'] = os.pathsep.join(
                [REPO_ROOT] + [p for p in [self.env.get('PYTHONPATH')] if p])
        self.env.update(env or {})
        self.cwd = cwd
        self.pass_fds = tuple(pass_fds)
        self.capture_stdout = capture_stdout
        self.die_with_parent = die_with_parent
        self.user = user
        self.popen = None
        self.started_at = None

    def start(self):
        """Spawn the child; returns at once.

        The parent-death signal is set after the change of user (Python
        calls ``preexec_fn`` last), which would otherwise clear it.
        """
        as_user = {'user': self.user, 'group': _user_group(self.user),
                   'extra_groups': []} if self.user else {}
        with open(self.output_path, 'ab') as output:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.capture_stdout else output,
                stderr=output if self.capture_stdout else subprocess.STDOUT,
                env=self.env, cwd=self.cwd, pass_fds=self.pass_fds,
                start_new_session=True,
                preexec_fn=(set_parent_death_signal if self.die_with_parent
                            else None), **as_user)
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self):
        return self.popen.pid

    def is_running(self):
        """True while the child has not exited."""
        return self.popen is not None and self.popen.poll() is None

    def output(self):
        """Everything the child wrote to ``output_path`` so far."""
        with open(self.output_path, 'rb') as output:
            return output.read().decode('utf-8', 'replace')

    def output_tail(self, size=6000):
        """The end of the child's output and of each of its logs."""
        return '\n'.join(file_tail(path, size)
                         for path in [self.output_path] + self.logs
                         if os.path.exists(path))

    def _check_alive(self, doing):
        if self.popen.poll() is not None:
            raise ChildError('%s exited with %s %s:\n%s' % (
                self.name, self.popen.returncode, doing, self.output_tail()))

    def read_line(self, timeout):
        """The first line of the child's stdout (``capture_stdout``)."""
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        if not ready:
            raise ChildError('%s said nothing within %ss:\n%s'
                             % (self.name, timeout, self.output_tail()))
        line = self.popen.stdout.readline()
        if not line:
            self.popen.wait(5)
            self._check_alive('before its first line')
        return line

    def wait_for_port(self, port, timeout=60, path=None, status=200):
        """Wait until ``port`` accepts connections and ``path`` answers.

        :param path: GET it until it answers ``status`` (None: any
            status); without a path an accepted connection is enough.
        :returns: seconds since :meth:`start`.
        """
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self._check_alive('before serving')
            try:
                if path is None:
                    socket.create_connection((ports.LOOPBACK, port),
                                             1).close()
                    return time.monotonic() - self.started_at
                last = client.request(port, 'GET', path, timeout=5).status
                if status is None or last == status:
                    return time.monotonic() - self.started_at
            except OSError as error:
                last = error
            time.sleep(POLL_INTERVAL)
        raise ChildError('%s did not serve on port %d within %ss (%r):\n%s'
                         % (self.name, port, timeout, last,
                            self.output_tail()))

    def send_signal(self, signum):
        """Signal the child itself (not its group), if it still runs."""
        if self.is_running():
            os.kill(self.popen.pid, signum)

    def stop(self, timeout=15):
        """SIGTERM the child's group, SIGKILL it after ``timeout`` seconds.

        ``timeout=0`` SIGKILLs at once. Leftovers in the group are
        SIGKILLed either way.
        """
        if self.popen is None:
            return
        if self.popen.poll() is None and timeout > 0:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout or 30)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def state_config(work_dir, name):
    """A config file giving ``name`` its own state_path, schema synced.

    Listed first, so the test's own config files override it.
    """
    path = os.path.join(work_dir, name + '-state.conf')
    with open(path, 'w') as conf:
        conf.write('[DEFAULT]\nstate_path = %s\n\n[database]\n'
                   'sync_on_startup = true\n'
                   % os.path.join(work_dir, name + '-state'))
    return path


def start_vmact_api(name, config_files, port, work_dir, logs=(), env=None,
                    timeout=60):
    """Start ``vmact-api`` and return its :class:`Child` once it serves.

    Its output goes to ``<work_dir>/<name>.out``; it is stopped (and
    :class:`ChildError` raised) when ``/healthcheck`` does not answer 200
    within ``timeout`` seconds. Its jobs database is a sqlite file of its
    own in ``work_dir`` (:func:`state_config`) unless a config file names
    another.
    """
    config_files = [state_config(work_dir, name)] + list(config_files)
    child = Child(name, vmact_api_command(*config_files),
                  os.path.join(work_dir, name + '.out'), logs=logs, env=env,
                  cwd=work_dir, repo_on_path=True).start()
    try:
        child.wait_for_port(port, timeout, path='/healthcheck')
    except BaseException:
        child.stop()
        raise
    return child


class StartedOnce(object):
    """One service per test process: started on first use, stopped at exit.

    A failed start is remembered, so later uses fail at once with the
    same error instead of starting everything again.

    :param build: returns the service (with ``start`` and ``stop``).
    :param error_class: raised when the service did not start.
    :param on_failure: ``callable(service)`` that keeps what explains the
        failure and returns where it is (said in the error).
    :param at_exit: the name of the service's method called at exit.
    """

    def __init__(self, what, build, error_class, on_failure,
                 at_exit='stop'):
        self.what = what
        self.at_exit = at_exit
        self.build = build
        self.error_class = error_class
        self.on_failure = on_failure
        self.service = None
        self.error = None

    def get(self):
        """The service, started now if this is its first use."""
        if self.error is not None:
            raise self.error_class('%s failed to start: %s'
                                   % (self.what, self.error))
        if self.service is None:
            service = self.build()
            atexit.register(getattr(service, self.at_exit))
            try:
                service.start()
            except BaseException as error:
                self.error = error
                raise self.error_class('%s failed to start (%s: %s); %s' % (
                    self.what, type(error).__name__, error,
                    self.on_failure(service))) from error
            self.service = service
        return self.service
