"""How results.py renders the outcomes: 200, 207, 404 and 409.

Through the whole pipeline in both auth strategies (as tests/unit/api/
test_app.py): one request's per-server outcomes become a bare 200, or the
error format with ``failures`` and ``succeeded``.
"""

from tests.unit import base

DEMO1 = base.DEMO1
DEMO2 = base.DEMO2


class ResultsTests(base.PipelineHelpers):
    """The rendering rules; mixed into one class per strategy."""

    def test_success_is_bare_200(self):
        response = self.act(servers=[DEMO1, DEMO2])
        self.assertEqual(200, response.status_int)
        self.assertEqual(b'', response.body)
        self.assertIn(response.content_length, (0, None))

    def test_partial_failure_is_207_with_failures_and_succeeded(self):
        response = self.act('os-stop', [DEMO1, 'off1', DEMO2])
        body = self.assertError(response, 207)
        self.assertEqual({'msg', 'code', 'reason', 'failures', 'succeeded'},
                         set(body))
        self.assertEqual(1, len(body['failures']))
        failure = body['failures'][0]
        self.assertEqual({'server', 'code', 'msg'}, set(failure))
        self.assertEqual(('off1', 409), (failure['server'], failure['code']))
        self.assertIn("Cannot 'stop' instance off1", failure['msg'])
        self.assertEqual([DEMO1, DEMO2], body['succeeded'])
        self.assertEqual({DEMO1: 'SHUTOFF', DEMO2: 'SHUTOFF'},
                         self.states([DEMO1, DEMO2]))

    def test_all_not_found_is_404(self):
        body = self.assertError(self.act(servers='nosuch1,nosuch2'), 404)
        self.assertEqual([('nosuch1', 404), ('nosuch2', 404)],
                         [(f['server'], f['code'])
                          for f in body['failures']])
        self.assertEqual([], body['succeeded'])

    def test_all_conflicts_is_409(self):
        body = self.assertError(self.act('os-start', [DEMO1, DEMO2]), 409)
        self.assertEqual([DEMO1, DEMO2],
                         [f['server'] for f in body['failures']])

    def test_mixed_failures_without_success_is_207(self):
        body = self.assertError(self.act('os-start', [DEMO1, 'nosuch']),
                                207)
        self.assertEqual({(DEMO1, 409), ('nosuch', 404)},
                         {(f['server'], f['code'])
                          for f in body['failures']})
        self.assertEqual([], body['succeeded'])


class NoauthResultsTest(ResultsTests, base.PipelineTestCase):
    auth_strategy = 'noauth'


class KeystoneResultsTest(ResultsTests, base.PipelineTestCase):
    auth_strategy = 'keystone'
