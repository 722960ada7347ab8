"""vmact.wsgi: the WSGI entry point reads VMACT_CONFIG_FILES."""

import io
import os

import fixtures
import webob

from tests.unit import base
from vmact import wsgi


class InitApplicationTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.given = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.service.prepare_service',
            lambda argv, config_files=None: self.given.append(
                (argv, config_files))))
        self.app = object()
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.pipeline.load_app', lambda: self.app))

    def test_config_files_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            wsgi.CONFIG_FILES_ENV, '/etc/vmact/a.conf,,/srv/b.conf'))
        self.assertIs(self.app, wsgi.init_application())
        self.assertEqual([([], ['/etc/vmact/a.conf', '/srv/b.conf'])],
                         self.given)

    def test_without_the_variable_oslo_config_looks_as_usual(self):
        self.useFixture(fixtures.EnvironmentVariable(wsgi.CONFIG_FILES_ENV))
        self.assertNotIn(wsgi.CONFIG_FILES_ENV, os.environ)
        wsgi.init_application()
        self.assertEqual([([], None)], self.given)

    def test_empty_variable_is_as_if_unset(self):
        self.useFixture(fixtures.EnvironmentVariable(
            wsgi.CONFIG_FILES_ENV, ''))
        wsgi.init_application()
        self.assertEqual([([], None)], self.given)


class RealApplicationTest(base.TestCase):

    def test_the_pipeline_loads_from_the_named_file(self):
        # oslo.log's setup replaces the root handlers (restored at
        # cleanup) with one on the standard streams: captured here.
        self.useFixture(fixtures.FakeLogger())
        streams = [io.StringIO(), io.StringIO()]
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', streams[0]))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', streams[1]))
        self.useFixture(fixtures.EnvironmentVariable(
            wsgi.CONFIG_FILES_ENV, base.DEV_CONF))
        app = wsgi.init_application()
        self.assertEqual([base.DEV_CONF], list(self.conf.default_config_files))
        response = webob.Request.blank('/healthcheck').get_response(app)
        self.assertEqual((200, b'OK'), (response.status_int, response.body))
        self.assertIn('Loading the pipeline from %s' % base.PASTE_INI,
                      streams[0].getvalue() + streams[1].getvalue())
