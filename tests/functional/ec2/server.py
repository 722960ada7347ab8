"""moto's EC2 server, the test proxy in front of it, and vmact-api for it."""

import collections
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

import boto3
import requests

from tests.support import ports
from tests.support import processes
from tests.support import vmact_config

REGION = 'us-east-1'
OTHER_REGION = 'eu-west-1'
AGENT = 'ec2'
TAG = 'vmact-tenant'
#: Any AMI: moto does not check it.
IMAGE_ID = 'ami-12c6146b'
#: Test-only credentials, looked for in vmact's log.
KEY = 'AKIAVMACTFUNCTESTKEY'
SECRET = 'vmact-functional-secret-Xq7pZ3'
MOTO_NAMESPACE = b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15"'
EC2_NAMESPACE = b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
ERROR_XML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
             '<Code>%s</Code><Message>%s</Message></Error></Errors>'
             '<RequestID>vmact-test</RequestID></Response>')
START_TIMEOUT = 30
#: The agent's resends of a throttled call (the option's default).
THROTTLE_RETRIES = 2


class Moto(object):
    """``python -m moto.server`` on a loopback port."""

    def __init__(self, work_dir):
        self.port = ports.free_port()
        self.url = ports.url(self.port)
        self.child = processes.Child(
            'moto', [sys.executable, '-m', 'moto.server', '-H',
                     ports.LOOPBACK, '-p', str(self.port)],
            os.path.join(work_dir, 'moto.out'), cwd=work_dir)

    def start(self):
        self.child.start()
        self.child.wait_for_port(self.port, START_TIMEOUT, path='/',
                                 status=None)

    def ec2(self, region=REGION):
        """A boto3 EC2 client of the test, straight to moto."""
        return boto3.client('ec2', endpoint_url=self.url, region_name=region,
                            aws_access_key_id='test',
                            aws_secret_access_key='test')

    def stop(self):
        self.child.stop()


class EC2Proxy(object):
    """A loopback proxy to moto that answers as real EC2 does.

    ``calls`` counts the EC2 actions received (``Action`` values),
    ``server_calls`` the (action, instance) pairs of the actions on one
    instance. Set ``throttle`` (actions: every call refused),
    ``throttle_once`` (actions: the first call per instance refused),
    ``refuse`` (instance IDs), ``auth_fail`` or ``hang`` (seconds) to
    inject a fault.
    """

    def __init__(self, backend_url):
        self.backend_url = backend_url
        self.calls = collections.Counter()
        self.server_calls = collections.Counter()
        self.throttle = set()
        self.throttle_once = set()
        self.refuse = set()
        self.auth_fail = False
        self.hang = 0
        self.server = http.server.ThreadingHTTPServer(
            (ports.LOOPBACK, 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        self.calls.clear()
        self.server_calls.clear()
        self.throttle, self.throttle_once, self.refuse = set(), set(), set()
        self.auth_fail, self.hang = False, 0

    def fault(self, params, authorization):
        """(status, body) to answer instead of moto, or None.

        The failed authentication echoes the request's credential scope
        (the access key), as some vendors' messages do.
        """
        action = params.get('Action', '')
        if self.hang:
            time.sleep(self.hang)
        if self.auth_fail:
            return 401, ERROR_XML % ('AuthFailure', 'AWS was not able to '
                                     'validate the provided access '
                                     'credentials (%s)' % authorization)
        instance = params.get('InstanceId.1')
        if action in self.throttle or (
                action in self.throttle_once and
                self.server_calls[action, instance] == 1):
            return 503, ERROR_XML % ('RequestLimitExceeded',
                                     'Request limit exceeded.')
        if instance in self.refuse and action.endswith('Instances') and \
                action != 'DescribeInstances':
            return 400, ERROR_XML % (
                'IncorrectInstanceState', "The instance '%s' is not in a "
                "state from which it can be acted on." % instance)
        return None

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward()

            def do_POST(self):
                self._forward()

            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                query = urllib.parse.urlsplit(self.path).query
                params = dict(urllib.parse.parse_qsl(query))
                params.update(urllib.parse.parse_qsl(body.decode()))
                proxy.calls[params.get('Action', '')] += 1
                proxy.server_calls[params.get('Action', ''),
                                   params.get('InstanceId.1')] += 1
                faulted = proxy.fault(params,
                                      self.headers.get('Authorization', ''))
                if faulted is not None:
                    status, text = faulted
                    return self._answer(status, text.encode())
                answer = requests.request(
                    self.command, proxy.backend_url + self.path, data=body,
                    headers=dict(self.headers), timeout=30)
                self._answer(answer.status_code, as_ec2_answers(
                    params.get('Action', ''), answer.content))

            def _answer(self, status, content):
                self.send_response(status)
                self.send_header('Content-Type', 'text/xml')
                self.send_header('Content-Length', str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler


def as_ec2_answers(action, content):
    """moto's answer ``content`` as real EC2 words it.

    The namespace gets its trailing slash; an accepted RebootInstances
    says ``<return>true</return>``, which moto leaves out.
    """
    content = content.replace(MOTO_NAMESPACE, EC2_NAMESPACE)
    closing = b'</RebootInstancesResponse>'
    if action == 'RebootInstances' and b'<return>' not in content:
        content = content.replace(closing, b'<return>true</return>' + closing)
    return content


def agent_section(proxy_port, **extra):
    """The ``[ec2]`` agent: libcloud's EC2 driver via the proxy."""
    return dict({'backend': 'libcloud', 'provider': 'ec2',
                 'regions': [REGION, OTHER_REGION], 'key': KEY,
                 'secret': SECRET, 'host': ports.LOOPBACK,
                 'port': proxy_port, 'secure': False,
                 'driver_options': 'signature_version:4', 'owner_tag': TAG,
                 'throttle_retries': THROTTLE_RETRIES, 'timeout': 2,
                 'request_deadline': 6, 'poll_interval': 0.2,
                 'poll_max_interval': 0.5}, **extra)


class VmactEC2(object):
    """vmact-api with the ``ec2`` agent, in front of the cloud's Keystone."""

    def __init__(self, keystone_sections):
        self.work_dir = tempfile.mkdtemp(prefix='vmact-functional-ec2-')
        self.moto = Moto(self.work_dir)
        self.proxy = None
        self.port = ports.free_port()
        self.url = ports.url(self.port)
        self.log_file = os.path.join(self.work_dir, 'vmact.log')
        self.keystone_sections = keystone_sections
        self.child = None

    def start(self):
        self.moto.start()
        self.proxy = EC2Proxy(self.moto.url)
        self.proxy.start()
        sections = {
            'DEFAULT': {'debug': True, 'log_file': self.log_file},
            'api': vmact_config.api(self.port, (AGENT,), max_wait=30),
            AGENT: agent_section(self.proxy.port)}
        sections.update(self.keystone_sections)
        config = vmact_config.write(
            os.path.join(self.work_dir, 'vmact.conf'), sections)
        self.child = processes.start_vmact_api(
            'vmact', [config], self.port, self.work_dir,
            logs=[self.log_file], timeout=60)

    def log(self):
        with open(self.log_file) as log:
            return log.read()

    def stop(self):
        for part in (self.child, self.proxy, self.moto):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # already stopped by a test
                    pass
        shutil.rmtree(self.work_dir, ignore_errors=True)
