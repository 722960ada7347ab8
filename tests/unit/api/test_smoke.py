"""A first end-to-end check of the pipeline in both auth strategies."""

from tests.unit import base


class NoauthSmokeTest(base.PipelineTestCase):

    def test_stop_then_status(self):
        response = self.act('os-stop', 'demo-RegionOne-1,demo-RegionOne-2')
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(b'', response.body)
        self.assertEqual({'demo-RegionOne-1': 'SHUTOFF',
                          'demo-RegionOne-2': 'SHUTOFF',
                          'demo-RegionOne-3': 'ACTIVE'},
                         self.status(['demo-RegionOne-1', 'demo-RegionOne-2',
                                      'demo-RegionOne-3']))

    def test_status_lines_carry_the_body_reason(self):
        response = self.act('os-stop', 'demo-RegionOne-1,off1')
        self.assertEqual('207 Multi-Status', response.status)
        self.assertEqual('Multi-Status', response.json['reason'])

    def test_success_is_a_bare_200(self):
        response = self.act('os-stop', 'demo-RegionOne-1')
        self.assertEqual('200 OK', response.status)
        self.assertNotIn('Content-Type', response.headers)
        self.assertEqual(b'', response.body)

    def test_token_that_cannot_be_a_header_is_401(self):
        for token in ('demo\r\nX-Injected: 1', 'demo token', 'd\u00e9mo'):
            spy = self.spy_backends()
            self.assertError(self.act(token=token), 401,
                             'requires authentication')
            self.assertEqual([], spy)

    def test_double_slash_is_not_folded_into_another_server(self):
        spy = self.spy_backends()
        response = self.request('/mana_api/vm_act/demo/RegionOne//'
                                'demo-RegionOne-1', body={'os-stop': None})
        self.assertError(response, 404)
        self.assertEqual([], spy)
        self.assertEqual({'demo-RegionOne-1': 'ACTIVE'},
                         self.status(['demo-RegionOne-1']))


class KeystoneSmokeTest(NoauthSmokeTest):
    auth_strategy = 'keystone'

    def test_no_token(self):
        self.assertError(self.act(token=None), 401,
                         'requires authentication')

    def test_401_says_where_to_get_a_token(self):
        response = self.act(token='no-such-token')
        self.assertError(response, 401, 'requires authentication')
        self.assertEqual(['Keystone uri="http://keystone.test/v3"'],
                         response.headers.getall('WWW-Authenticate'))
