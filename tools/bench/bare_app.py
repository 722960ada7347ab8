"""The benchmark's baseline: a bare WSGI app behind vmact-api's server.

It does what one vmact request does at its core and nothing else, with
the same python-novaclient calls on one shared keystoneauth Session: a
``POST`` reads the body, stops one server (``servers.stop``) and answers
200 with an empty body; any other method is a status read: it reads one
server (``servers.get``) and answers 200 with its state as vmact's status
read shows it (``{"servers": [{"id", "status", "task_state",
"power_state"}]}``). Served by waitress, as vmact-api is, with the same
thread count, so that the difference between the two is vmact's pipeline
(middleware, keystonemiddleware, context, policy, fan-out, logging). Run
as a script by the benchmark.
"""

import argparse
import json
import sys

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from novaclient import client as nova_client
import waitress

SERVER_ID = 'bare-server-0'


def make_app(nova_url, token, microversion):
    session = ks_session.Session(
        auth=token_endpoint.Token(nova_url, token))
    nova = nova_client.Client(microversion, session=session,
                              endpoint_override=nova_url)

    def app(environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        if length:
            environ['wsgi.input'].read(length)
        if environ.get('REQUEST_METHOD') == 'POST':
            nova.servers.stop(SERVER_ID)
            start_response('200 OK', [('Content-Length', '0')])
            return [b'']
        server = nova.servers.get(SERVER_ID)
        body = json.dumps({'servers': [{
            'id': server.id, 'status': server.status,
            'task_state': getattr(server, 'OS-EXT-STS:task_state', None),
            'power_state': getattr(server, 'OS-EXT-STS:power_state', None),
        }]}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--threads', type=int, default=16)
    parser.add_argument('--nova-url', required=True)
    parser.add_argument('--token', required=True)
    parser.add_argument('--microversion', default='2.1')
    args = parser.parse_args(argv)
    waitress.serve(make_app(args.nova_url, args.token, args.microversion),
                   host=args.host, port=args.port, threads=args.threads,
                   ident='bare-app', _quiet=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
