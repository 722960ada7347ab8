"""sp_agent: the Sp-Agent header picks the agent's backend."""

import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api import middleware
from vmact.api.middleware import sp_agent


class SpAgentRouterTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='api', enabled_agents=['scloudm', 'pbs'],
                   default_agent='scloudm')
        self.agent('scloudm', backend='simulator', regions=['RegionOne'])
        self.agent('pbs', backend='simulator', regions=['cn-north-1'])
        self.app = fakes.FakeApp()
        self.filter = sp_agent.SpAgentRouter.factory({})(self.app)

    def call(self, agent=None):
        req = webob.Request.blank('/')
        if agent is not None:
            req.headers['Sp-Agent'] = agent
        return req.get_response(self.filter)

    def backend_below(self):
        return self.app.requests[-1].environ[middleware.BACKEND_KEY]

    def test_no_header_is_the_default_agent(self):
        self.assertEqual(200, self.call().status_int)
        self.assertEqual('scloudm', self.backend_below().agent)

    def test_named_agent_and_its_spaces(self):
        self.assertEqual(200, self.call(' pbs ').status_int)
        self.assertEqual('pbs', self.backend_below().agent)

    def test_agents_are_loaded_once(self):
        self.call('pbs')
        self.call('pbs')
        first, second = (r.environ[middleware.BACKEND_KEY]
                         for r in self.app.requests)
        self.assertIs(first, second)

    def test_unknown_agent_is_400_listing_the_known_ones(self):
        response = self.call('vmware\r\n')
        self.assertEqual(400, response.status_int)
        self.assertIn('"vmware"', response.json['msg'])
        self.assertIn('pbs, scloudm', response.json['msg'])
        self.assertEqual([], self.app.requests)
