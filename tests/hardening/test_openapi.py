"""schemathesis: every response of the live service matches the OpenAPI doc.

The document is ``doc/source/api/vm_act.yaml`` (``VMACT_OPENAPI``
overrides the path). The test is skipped while it does not exist. Cases
generated from the document are sent to a real ``vmact-api`` (keystone
strategy, nova agents on the fake cloud) with a valid member token of
``demo``; each response must be no 5xx and conform to the documented
status codes, content types, headers and schemas. A mismatch is a bug in
the document or in the code: report it, do not loosen the checks.
``VMACT_OPENAPI_EXAMPLES`` sets the examples per run (default 150).
"""

import os

import hypothesis
from oslotest import base as oslotest_base

from tests.hardening import base
from tests.hardening import figures

DOCUMENT = os.environ.get('VMACT_OPENAPI', os.path.join(
    base.ROOT, 'doc', 'source', 'api', 'vm_act.yaml'))
EXAMPLES = int(os.environ.get('VMACT_OPENAPI_EXAMPLES', '150'))


class OpenApiConformanceTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.exists(DOCUMENT):
            self.skipTest('no OpenAPI document at %s yet' % DOCUMENT)
        import schemathesis
        from schemathesis import checks as st_checks
        from schemathesis.specs.openapi import checks as oas_checks
        self.schemathesis = schemathesis
        self.checks = [st_checks.not_a_server_error,
                       oas_checks.status_code_conformance,
                       oas_checks.content_type_conformance,
                       oas_checks.response_headers_conformance,
                       oas_checks.response_schema_conformance]
        self.cloud = self.useFixture(base.FakeCloud())
        self.vmact = self.useFixture(base.VmactProcess(self.cloud,
                                                       debug=False))
        self.token = self.cloud.token()

    def test_positive_cases_match_the_document(self):
        """Requests the document calls valid."""
        self.run_cases('positive')

    def test_negative_cases_match_the_document(self):
        """Requests that break the document: documented errors only."""
        self.run_cases('negative')

    def run_cases(self, mode):
        from schemathesis.generation import modes
        schema = self.schemathesis.openapi.from_path(DOCUMENT)
        seen = {'cases': 0}

        @hypothesis.settings(max_examples=EXAMPLES, deadline=None,
                             database=None, suppress_health_check=list(
                                 hypothesis.HealthCheck))
        @hypothesis.given(case=schema.as_strategy(
            generation_mode=modes.GenerationMode(mode)))
        def check(case):
            headers = dict(case.headers or {})
            headers.setdefault('X-Auth-Token', self.token)
            case.headers = headers
            response = case.call(base_url=self.vmact.url, timeout=60)
            seen['cases'] += 1
            case.validate_response(response, checks=self.checks)

        try:
            check()
        finally:
            figures.record('openapi', document=DOCUMENT, mode=mode, **seen)
