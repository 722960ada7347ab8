"""Property-based fuzzing of bodies, headers and paths through the pipeline.

The whole paste pipeline runs in the keystone strategy (real
keystonemiddleware against the fake Keystone), both Nova agents point at
the fake Nova through the token's catalog. For every generated request:

* the status is never 500, and every error is in the contract's format;
* the status is the one :mod:`tests.hardening.contract` predicts;
* from the fake Nova's log: an invalid request reaches Nova not at all,
  and a valid one reaches it exactly once per server (token mode: one
  POST; service mode: one GET, then one POST for each server of the
  tenant), on the region's endpoint, with the response's request ID.

``VMACT_FUZZ_EXAMPLES`` sets the examples per property (default 120).
"""

import os
import string
import urllib.parse

import hypothesis
from hypothesis import strategies as st

from tests.hardening import base
from tests.hardening import contract
from tests.hardening import figures

EXAMPLES = int(os.environ.get('VMACT_FUZZ_EXAMPLES', '120'))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=list(hypothesis.HealthCheck))

PADDING = st.sampled_from(['', ' ', '  ', '\t', '\n', '\u3000', '\xa0'])
NASTY = ('/', '.', '?', '#', '%', '&', '=', ';', '\\', ' ', '\r', '\n', '\0',
         '\u202e', 'é', '中', '\U0001f4a9', '%2F', '..', '\x7f')
NASTY_TEXT = st.lists(
    st.one_of(st.sampled_from(NASTY),
              st.text(string.ascii_letters + string.digits + '_-',
                      min_size=1, max_size=5)),
    min_size=1, max_size=6).map(''.join)
KNOWN_IDS = st.sampled_from(base.SERVERS + base.GHOSTS
                            + base.FOREIGN_SERVERS)
VALID_IDS = st.from_regex(r'[A-Za-z0-9_-]{1,64}', fullmatch=True)
IDS = st.one_of(KNOWN_IDS, KNOWN_IDS, VALID_IDS, NASTY_TEXT,
                st.text(max_size=70),
                st.tuples(PADDING, KNOWN_IDS, PADDING).map(''.join),
                st.just('x' * 65))
SERVERS = st.one_of(
    st.lists(IDS, max_size=6),
    st.lists(KNOWN_IDS, min_size=1, max_size=6),
    st.lists(st.tuples(PADDING, KNOWN_IDS, PADDING).map(''.join),
             min_size=1, max_size=6).map(','.join),
    st.lists(IDS, min_size=1, max_size=6).map(','.join),
    st.lists(st.one_of(IDS, st.integers(), st.none()), min_size=1,
             max_size=4),
    st.one_of(st.integers(), st.none(), st.booleans(),
              st.dictionaries(st.text(max_size=3), st.integers(),
                              max_size=2)))
TENANTS = st.one_of(st.sampled_from([base.TENANT] * 6 + [
    ' demo ', base.OTHER_TENANT, 'dem o', '', 'demo/../alt', 'DEMO']),
    NASTY_TEXT, st.integers(), st.none())
REGIONS = st.one_of(st.sampled_from(list(base.REGIONS) * 4 + [
    ' RegionOne ', 'RegionNine', 'Region One', 'regionone', '',
    'RegionOne/../x', 'a' * 256]), NASTY_TEXT, st.none())
ACTION_KEYS = st.one_of(
    st.sampled_from(contract.ACTIONS * 3),
    st.tuples(PADDING, st.sampled_from(contract.ACTIONS),
              PADDING).map(''.join),
    st.sampled_from(['Reboot', 'os_stop', 'os-start\x00', 'start']))
REBOOT_TYPES = st.one_of(st.sampled_from(
    ['HARD', 'SOFT', 'hard', ' Soft ', 'medium', '']), st.integers(),
    st.none())
ACTION_VALUES = st.one_of(
    st.none(), st.just({}), st.none(),
    st.fixed_dictionaries({'type': REBOOT_TYPES}),
    st.fixed_dictionaries({'type': REBOOT_TYPES, 'force': st.booleans()}),
    st.integers(), st.text(max_size=5), st.lists(st.none(), max_size=2))
OPTIONS = st.fixed_dictionaries({}, optional={
    'only_if_needed': st.one_of(st.booleans(), st.booleans(),
                                st.sampled_from([0, 1, 'true', None])),
    'wait': st.one_of(st.just(0), st.just(0.0), st.sampled_from(
        [-1, 11, 1e308, 'x', True, None, [], float('inf')])),
})
EXTRA_KEYS = st.dictionaries(
    st.one_of(st.sampled_from(['tenant', 'server', 'action', 'os-reboot',
                               'Servers', 'servers ', ' region']),
              st.text(max_size=8)),
    st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=2)

UNAUTHORIZED_BODY = {
    'msg': 'The request you have made requires authentication.',
    'code': 401, 'reason': 'Unauthorized'}


VALID_SERVERS = st.one_of(
    st.lists(KNOWN_IDS, min_size=1, max_size=6),
    st.lists(st.tuples(PADDING, KNOWN_IDS, PADDING).map(''.join),
             min_size=1, max_size=6).map(','.join),
    st.lists(VALID_IDS, min_size=1, max_size=3))
VALID_ACTIONS = st.one_of(
    st.tuples(st.sampled_from(['os-start', 'os-stop', 'os-start ',
                               ' os-stop']),
              st.sampled_from([None, {}])),
    st.tuples(st.sampled_from(['reboot', 'reboot ']), st.one_of(
        st.sampled_from([None, {}]),
        st.fixed_dictionaries({'type': st.sampled_from(
            ['HARD', 'SOFT', 'hard', ' Soft '])}))))
MUTATIONS = ('tenant_id', 'region', 'servers', 'action_key', 'action_value',
             'second_action', 'options', 'extra', 'drop')


@st.composite
def bodies(draw):
    """A valid body, then zero to two mutations that may break it."""
    body = {'tenant_id': draw(st.sampled_from([base.TENANT] * 3
                                              + [' demo '])),
            'region': draw(st.sampled_from(list(base.REGIONS)
                                           + [' RegionOne'])),
            'servers': draw(VALID_SERVERS)}
    key, value = draw(VALID_ACTIONS)
    body[key] = value
    if key.strip() != 'reboot' and draw(st.booleans()):
        body['only_if_needed'] = draw(st.booleans())
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=2)):
        if mutation in ('tenant_id', 'region', 'servers'):
            body[mutation] = draw({'tenant_id': TENANTS, 'region': REGIONS,
                                   'servers': SERVERS}[mutation])
        elif mutation == 'action_key':
            body[draw(ACTION_KEYS)] = body.pop(key, None)
        elif mutation == 'action_value':
            body[key] = draw(ACTION_VALUES)
        elif mutation == 'second_action':
            body[draw(ACTION_KEYS)] = draw(ACTION_VALUES)
        elif mutation == 'options':
            body.update(draw(OPTIONS))
        elif mutation == 'extra':
            body.update(draw(EXTRA_KEYS))
        else:
            body.pop(draw(st.sampled_from(sorted(body))), None)
    return body


PATH_PART = st.one_of(st.sampled_from(
    [base.TENANT, 'RegionOne', 'RegionTwo', 'vm-1', 'ghost-1', 'alt-1']),
    NASTY_TEXT, st.text(max_size=8))
PATHS = st.one_of(
    st.sampled_from(['/mana_api/vm_act', '/mana_api/vm_act/']),
    st.lists(PATH_PART, min_size=1, max_size=4))


def quote_path(path):
    """A request path from a fixed prefix or percent-encoded parts."""
    if isinstance(path, str):
        return path
    return contract.PREFIX + '/' + '/'.join(
        urllib.parse.quote(p.encode('utf-8'), safe='') for p in path)


def wsgi_path_info(path):
    """The PATH_INFO text the vm_act app sees for ``path``.

    Percent-decoded by the server; vmact's urlmap leaves it as it is (an
    empty segment is a 404, never folded into another server's path).
    """
    return urllib.parse.unquote(path, errors='surrogateescape')


class FuzzBase(base.PipelineTestCase):
    """Send generated requests; compare with the model and Nova's log."""

    agent = base.TOKEN_AGENT

    def setUp(self):
        super().setUp()
        self.tried = {'valid': 0, 'invalid': 0, 'not_found': 0}

    def expected_calls(self, valid):
        """{server: (GETs, POSTs)} the fake Nova should see; outcomes."""
        reads = self.agent == base.SERVICE_AGENT or valid.only_if_needed
        calls, outcomes = {}, {}
        for server_id in valid.servers:
            server = self.nova.server(server_id)
            visible = server is not None and (
                server.tenant_id == base.TENANT)
            if not reads:
                calls[server_id] = (0, 1)
                outcomes[server_id] = 202 if visible else 404
            elif not visible:
                calls[server_id] = (1, 0)
                outcomes[server_id] = 404
            elif valid.only_if_needed and \
                    server.status == valid.target_status:
                calls[server_id] = (1, 0)
                outcomes[server_id] = 200
            else:
                calls[server_id] = (1, 1)
                outcomes[server_id] = 202
        return calls, outcomes

    def check(self, path, raw, response):
        """Compare ``response`` and Nova's log with the model."""
        self.assertNotEqual(500, response.status_int, response.text)
        request_id = response.headers.get('x-openstack-request-id')
        self.assertTrue(request_id)
        if response.status_int >= 400 or response.status_int == 207:
            self.assertErrorFormat(response)
        try:
            contract.check_target(path)
            valid = contract.classify(wsgi_path_info(path), raw)
        except contract.NotFound:
            self.tried['not_found'] += 1
            self.assertEqual(404, response.status_int, response.text)
            self.assertNoNovaCall()
            return
        except contract.Invalid as e:
            self.tried['invalid'] += 1
            self.assertEqual(400, response.status_int,
                             'model: %s; body %r; %s' % (e, raw,
                                                         response.text))
            self.assertNoNovaCall()
            return
        if valid.tenant_id != base.TENANT or valid.region not in \
                base.REGIONS:
            self.tried['invalid'] += 1
            self.assertEqual(
                403 if valid.tenant_id != base.TENANT else 400,
                response.status_int, response.text)
            self.assertNoNovaCall()
            return
        self.tried['valid'] += 1
        self.check_dispatched(valid, response, request_id)

    def check_dispatched(self, valid, response, request_id):
        expected, outcomes = self.expected_calls_snapshot
        prefix = None if valid.region == 'RegionOne' else valid.region
        seen = {}
        for call in self.nova.calls():
            self.assertIn(call.server, valid.servers, call.path)
            self.assertEqual(prefix, call.prefix, call.path)
            self.assertEqual(request_id, call.request_id)
            gets, posts = seen.get(call.server, (0, 0))
            if call.method == 'GET':
                self.assertEqual('/%sv2.1/servers/%s' % (
                    prefix + '/' if prefix else '', call.server),
                    call.path)
                seen[call.server] = (gets + 1, posts)
            else:
                self.assertEqual('POST', call.method)
                self.assertEqual(valid.action, call.action, call.body)
                seen[call.server] = (gets, posts + 1)
        self.assertEqual(expected, {s: seen.get(s, (0, 0))
                                    for s in valid.servers})
        codes = {s: c for s, c in outcomes.items()}
        failed = {s: c for s, c in codes.items() if c >= 300}
        if not failed:
            self.assertEqual(200, response.status_int, response.text)
            return
        body = response.json
        self.assertEqual(failed, {f['server']: f['code']
                                  for f in body['failures']})
        self.assertEqual([s for s in valid.servers if s not in failed],
                         body['succeeded'])
        common = set(failed.values())
        status = common.pop() if len(failed) == len(codes) and \
            len(common) == 1 else 207
        self.assertEqual(status, response.status_int)

    def send(self, path, raw, headers=None):
        """Send a POST after snapshotting what Nova should then see."""
        self.nova.reset()
        try:
            valid = contract.classify(wsgi_path_info(path), raw)
            self.expected_calls_snapshot = self.expected_calls(valid)
        except (contract.Invalid, contract.NotFound):
            self.expected_calls_snapshot = None
        return self.request(path=path, raw=raw, agent=self.agent,
                            headers=headers)

    def tearDown(self):
        figures.record('fuzz', test=self.id(), agent=self.agent,
                       **self.tried)
        super().tearDown()


class TokenModeFuzz(FuzzBase):
    """The token-mode agent: the caller's token goes to Nova."""

    @SETTINGS
    @hypothesis.given(body=bodies())
    def test_bodies(self, body):
        raw = base.json_bytes(body)
        self.check('/mana_api/vm_act', raw, self.send('/mana_api/vm_act',
                                                      raw))

    @SETTINGS
    @hypothesis.given(path=PATHS, body=bodies())
    def test_paths(self, path, body):
        path = quote_path(path)
        raw = base.json_bytes(body)
        self.check(path, raw, self.send(path, raw))

    @SETTINGS
    @hypothesis.given(raw=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode('utf-8')),
        st.sampled_from([b'', b' ', b'null', b'[]', b'"x"', b'{', b'{}',
                         b'NaN', b'{"os-stop": NaN}', b'[' * 5000,
                         b'{"a":' * 3000, b'\xef\xbb\xbf{}',
                         b'{"servers": "vm-1", "servers ": "vm-2"}',
                         b'1e999999'])))
    def test_raw_bodies(self, raw):
        self.check('/mana_api/vm_act', raw,
                   self.send('/mana_api/vm_act', raw))


class ServiceModeFuzz(TokenModeFuzz):
    """The service-mode agent: vmact's credentials, ownership checked."""

    agent = base.SERVICE_AGENT


HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xff,
                  blacklist_characters='\x7f'), max_size=80)


class HeaderFuzz(base.PipelineTestCase):
    """Sp-Agent, token and other headers with arbitrary header text."""

    def setUp(self):
        super().setUp()
        self.tried = 0

    def tearDown(self):
        figures.record('fuzz', test=self.id(), headers_tried=self.tried)
        super().tearDown()

    @SETTINGS
    @hypothesis.given(agent=st.one_of(HEADER_TEXT, st.sampled_from(
        [' scloudm ', 'SCLOUDM', 'pbs\t', 'sim', '', 'scloudm,pbs',
         'scloudm\r\nX-Injected: 1', 'x' * 70000])))
    def test_sp_agent(self, agent):
        self.nova.reset()
        self.tried += 1
        response = self.act(['vm-1'], agent=agent)
        self.assertNotEqual(500, response.status_int, response.text)
        self.assertNotIn('X-Injected', response.headers)
        chosen = agent.strip()
        if chosen in base.NOVA_AGENTS:
            self.assertEqual(200, response.status_int, response.text)
            self.assertEqual(['os-stop'], self.nova.actions('vm-1'))
            return
        self.assertNoNovaCall()
        if chosen == base.SIM_AGENT:
            self.assertErrorFormat(response, 404)
            return
        body = self.assertErrorFormat(response, 400)
        self.assertIn('Sp-Agent', body['msg'])
        self.assertLess(len(body['msg']), 400)
        self.assertNotIn('\r', body['msg'])
        self.assertNotIn('\n', body['msg'])

    @SETTINGS
    @hypothesis.given(token=HEADER_TEXT, alias=st.booleans())
    def test_tokens(self, token, alias):
        self.nova.reset()
        self.tried += 1
        headers = {'token': token} if alias else {'X-Auth-Token': token}
        response = self.request(
            body={'tenant_id': base.TENANT, 'region': 'RegionOne',
                  'servers': 'vm-1', 'os-start': None},
            token=None, headers=headers)
        self.assertErrorFormat(response, 401)
        self.assertNoNovaCall()
        self.assertEqual(UNAUTHORIZED_BODY, response.json)

    @SETTINGS
    @hypothesis.given(headers=st.dictionaries(
        st.sampled_from(['Content-Type', 'Content-Encoding',
                         'X-Openstack-Request-Id', 'X-Forwarded-Proto',
                         'X-Forwarded-For', 'Forwarded', 'X-Roles',
                         'X-Project-Id', 'X-Identity-Status',
                         'X-Service-Catalog', 'Accept', 'Transfer-Encoding',
                         'OpenStack-API-Version', 'X-User-Id']),
        HEADER_TEXT, max_size=4))
    def test_other_headers(self, headers):
        """Forged identity or odd headers change nothing about the act."""
        self.nova.reset()
        self.tried += 1
        response = self.request(
            body={'tenant_id': base.TENANT, 'region': 'RegionOne',
                  'servers': 'vm-2', 'os-start': None}, headers=headers)
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(['os-start'], self.nova.actions('vm-2'))
        self.assertEqual(1, len(self.nova.calls()))
        forged = self.request(
            body={'tenant_id': base.OTHER_TENANT, 'region': 'RegionOne',
                  'servers': 'alt-1', 'os-start': None},
            headers=dict(headers, **{'X-Project-Id': base.OTHER_TENANT,
                                     'X-Roles': 'admin',
                                     'X-Identity-Status': 'Confirmed'}))
        self.assertErrorFormat(forged, 403)
        self.assertEqual(0, len(self.nova.calls('POST', 'alt-1')))
