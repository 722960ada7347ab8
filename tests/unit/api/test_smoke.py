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


class KeystoneSmokeTest(NoauthSmokeTest):
    auth_strategy = 'keystone'

    def test_no_token(self):
        self.assertError(self.act(token=None), 401,
                         'requires authentication')

    def test_401_says_where_to_get_a_token(self):
        response = self.act(token='no-such-token')
        self.assertError(response, 401, 'requires authentication')
        self.assertEqual('Keystone uri="http://keystone.test/v3"',
                         response.headers['WWW-Authenticate'])
