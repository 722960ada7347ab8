"""The README's own examples, run with curl against the dev server.

Each literal block of README.rst's "Quick start" and "中文快速入门"
sections that starts with ``curl`` is an example: the command, up to the
block's first blank line, then what it prints. The test starts the
development server as the README does (``vmact-api --config-file
etc/vmact/vmact-dev.conf``; only the port differs, so that the test does
not take 8790), runs one section's examples in order, back to back, with
the real ``curl`` through ``bash`` exactly as a reader pastes them (the
block as rendered, RST indentation removed), and compares the status
line, the headers the README shows and the body (as JSON when it is
JSON). Only request ids, job ids (UUIDs) and times are normalised. An
example that reads a job is run again, for up to JOB_SECONDS, until it
prints what the README shows: the job runs in the server's in-process
engine, a moment after its 202. Each section starts on a freshly started
server, which is how the README says to reset the demo.
"""

import json
import os
import re
import shutil
import subprocess
import time

import fixtures
import testtools
from testtools import content

from tests.deployment import readme
from tests.deployment import servers
from tests.support import ports
from tests.support import processes

README_URL = 'http://127.0.0.1:8790'
REQUEST_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}')
ISO_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z')
COMMAND_SECONDS = 60
JOB_SECONDS = 15


class Example(object):
    """One curl command of the README and the output the README shows."""

    def __init__(self, block):
        command, _, shown = block.partition('\n\n')
        self.command = command
        self.shown = shown.strip('\n')

    @property
    def name(self):
        return self.command.splitlines()[0]


def examples(section):
    """The section's curl examples, and its ``VMACT=`` lines."""
    blocks = readme.section_blocks(section)
    return ([Example(b) for b in blocks if b.startswith('curl ')],
            [b for b in blocks if b.startswith('VMACT=')])


def split_http(text, separator):
    """(status line, [(name, value)], body) of a ``curl -i`` output."""
    head, _, body = text.partition(separator * 2)
    lines = head.split(separator)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers.append((name.strip().lower(), value.strip()))
    return lines[0].strip(), headers, body


def normalise(text):
    text = REQUEST_ID.sub('req-<id>', text)
    return ISO_TIME.sub('<time>', UUID.sub('<uuid>', text))


def reads_a_job(example):
    """A GET of ``/mana_api/jobs``: its answer follows the job's run."""
    return '/mana_api/jobs' in example.command and not any(
        option in example.command for option in ('-X ', '-d '))


class DevServer(fixtures.Fixture):
    """vmact-api with the README's dev config, on a free port."""

    def _setUp(self):
        directory = self.useFixture(fixtures.TempDir()).path
        port = ports.free_port()
        port_conf = os.path.join(directory, 'port.conf')
        with open(port_conf, 'w') as conf:
            # A jobs database of its own: the dev config's outlives the
            # server, as jobs should.
            conf.write('[DEFAULT]\nstate_path = %s\n\n[api]\nport = %d\n'
                       % (os.path.join(directory, 'state'), port))
        process = self.useFixture(servers.Process(
            'vmact-api-dev',
            processes.vmact_api_command(servers.DEV_CONF, port_conf),
            cwd=directory, log_dir=directory))
        process.wait_for_port(port, timeout=60, path='/healthcheck')
        self.url = 'http://127.0.0.1:%d' % port


class ReadmeExamplesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.curl = shutil.which('curl')
        if self.curl is None:
            self.fail('curl is missing: apt-get install curl '
                      '(tools/test-all.sh does)')

    def run_section(self, section, at_least):
        found, url_lines = examples(section)
        self.assertGreaterEqual(len(found), at_least,
                                'curl examples in %s' % section)
        for line in url_lines:
            self.assertEqual('VMACT=%s' % README_URL, line)
        server = self.useFixture(DevServer())
        transcript = []
        self.addDetail('transcript', content.Content(
            content.UTF8_TEXT, lambda: [
                '\n\n'.join(transcript).encode('utf-8')]))
        for example in found:
            self.assertTrue(example.shown,
                            'the README shows no output for %r'
                            % example.name)
            command = example.command.replace(README_URL, server.url)
            deadline = time.monotonic() + (
                JOB_SECONDS if reads_a_job(example) else 0)
            while True:
                done = subprocess.run(
                    ['bash', '-c', command], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                    env=dict(os.environ, VMACT=server.url),
                    timeout=COMMAND_SECONDS)
                printed = done.stdout.decode('utf-8', 'replace').replace(
                    server.url, README_URL)
                transcript.append('$ %s\n%s' % (command, printed))
                self.assertEqual(0, done.returncode,
                                 '%s: %s' % (example.name, done.stderr))
                try:
                    self.compare(example, printed)
                    break
                except self.failureException:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.5)

    def compare(self, example, printed):
        where = 'README example %r printed:\n%s' % (example.name, printed)
        shown = normalise(example.shown)
        printed = normalise(printed)
        if shown.startswith('HTTP/'):
            status, headers, shown_body = split_http(shown, '\n')
            got_status, got_headers, body = split_http(printed, '\r\n')
            self.assertEqual(status, got_status, where)
            for header in headers:
                self.assertIn(header, got_headers, where)
        else:
            shown_body, body = shown, printed
        self.compare_body(shown_body, body, where)

    def compare_body(self, shown, body, where):
        if not shown.strip():
            self.assertEqual('', body, where)
            return
        try:
            expected = json.loads(shown)
        except ValueError:
            self.assertEqual(shown.strip(), body.strip(), where)
            return
        self.assertEqual(expected, json.loads(body), where)

    def test_quick_start_examples_print_what_the_readme_shows(self):
        self.run_section('Quick start', at_least=8)

    def test_chinese_quick_start_examples_print_what_it_shows(self):
        self.run_section('中文快速入门', at_least=5)
