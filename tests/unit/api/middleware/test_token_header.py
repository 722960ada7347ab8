"""token_header: the ``token`` header as an alias of ``X-Auth-Token``."""

import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api.middleware import token_header


class TokenHeaderAliasTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.app = fakes.FakeApp()
        self.filter = token_header.TokenHeaderAlias.factory({})(self.app)

    def sent(self, headers):
        """The X-Auth-Token the app below received (None: none)."""
        response = webob.Request.blank('/', headers=headers).get_response(
            self.filter)
        self.assertEqual(200, response.status_int)
        environ = self.app.requests[-1].environ
        self.assertNotIn('HTTP_TOKEN', environ)
        return environ.get('HTTP_X_AUTH_TOKEN')

    def test_token_becomes_x_auth_token(self):
        self.assertEqual('tok', self.sent({'token': 'tok'}))

    def test_x_auth_token_wins(self):
        self.assertEqual('real', self.sent({'token': 'alias',
                                            'X-Auth-Token': 'real'}))

    def test_no_token_stays_none(self):
        self.assertIsNone(self.sent({}))

    def test_token_that_cannot_be_a_header_is_dropped(self):
        for token in ('demo token', 'd\u00e9mo', 'x' * 16385):
            self.assertIsNone(self.sent({'X-Auth-Token': token}))
            self.assertIsNone(self.sent({'token': token}))
