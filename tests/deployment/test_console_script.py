"""The ``vmact-api`` console script, driven over HTTP like Apache."""

from tests.deployment import base
from tests.deployment import servers


def _console_script(config_text_for_port):
    return servers.VmactApi('vmact-api', config_text_for_port)


class ConsoleScriptTest(base.ServerTestCase, base.ContractOverHTTP):
    """vmact-api --config-file <the dev config on a free port>."""

    server_fixture = _console_script

    def test_served_by_vmact_api(self):
        response = self.request('GET', '/healthcheck')
        self.assertEqual('vmact-api', response.headers.get('server'))
        self.assertIn('vmact-api serving on http://127.0.0.1:%d'
                      % self.server.port, self.server_log())
