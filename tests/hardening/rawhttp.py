"""Raw HTTP on loopback for the slow, huge and broken request tests.

Shared by tests/hardening/test_http.py (vmact-api) and
tests/deployment/test_http_apache.py (Apache): sockets that send what
no well-behaved client sends, and a health check timer.
"""

import select
import socket
import threading
import time

import requests


def connect(port):
    return socket.create_connection(('127.0.0.1', port), timeout=10)


def read_all(sock, timeout=10.0):
    """Bytes until the server closes (or resets) the connection."""
    sock.settimeout(timeout)
    data = b''
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def parse_response(data):
    """(status, {header: value}, body) of a raw response; None if empty."""
    if not data:
        return None
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def exchange(port, data, half_close=False):
    """Send raw ``data``; return the parsed response (None: closed)."""
    with connect(port) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return parse_response(read_all(sock))


def health_latency(url, timeout=5.0):
    """Seconds /healthcheck takes (``timeout`` when it does not answer)."""
    started = time.monotonic()
    try:
        response = requests.get(url + '/healthcheck', timeout=timeout)
    except requests.RequestException:
        return timeout
    elapsed = time.monotonic() - started
    return elapsed if response.status_code == 200 else timeout


class Tricklers(object):
    """Connections that each send their request one byte per interval.

    Each request is ``(preamble, payload)``: the preamble goes at once,
    then the payload byte by byte; none ever finishes. :meth:`closed_after`
    tells, for each, how long after it connected the server closed it,
    :meth:`answers` what the server said before.
    """

    def __init__(self, port, requests_, interval=1.0):
        self.interval = interval
        self.conns = []
        for preamble, payload in requests_:
            sock = connect(port)
            sock.sendall(preamble)
            sock.setblocking(False)
            self.conns.append({'sock': sock, 'payload': payload, 'sent': 0,
                               'opened': time.monotonic(), 'closed': None,
                               'answer': b''})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            for conn in self.conns:
                if conn['closed'] is None:
                    self._step(conn)

    def _step(self, conn):
        sock = conn['sock']
        try:
            if select.select([sock], [], [], 0)[0]:
                answer = sock.recv(65536)
                if not answer:
                    raise ConnectionResetError
                conn['answer'] += answer
            sent = conn['sent']
            conn['sent'] += sock.send(conn['payload'][sent:sent + 1])
        except OSError:
            conn['closed'] = time.monotonic() - conn['opened']

    def still_open(self):
        return sum(1 for conn in self.conns if conn['closed'] is None)

    def closed_after(self):
        return [conn['closed'] for conn in self.conns]

    def answers(self):
        """What the server answered each, parsed (None: nothing)."""
        return [parse_response(conn['answer']) for conn in self.conns]

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        for conn in self.conns:
            conn['sock'].close()


def slow_head(n):
    """A request head that never ends (its last header goes on forever)."""
    return (b'GET /healthcheck HTTP/1.1\r\nHost: t\r\nX-Slow-%d: a' % n,
            b'a' * 100000)


def slow_body(token):
    """A complete head announcing a body that then comes a byte a time."""
    head = ('POST /mana_api/vm_act HTTP/1.1\r\nHost: t\r\n'
            'X-Auth-Token: %s\r\nContent-Length: 100000\r\n\r\n'
            % token).encode()
    return head, b' ' * 100000


def send_huge_head(port, size, results):
    """Send a head of ``size`` bytes, stopping once the server answers.

    Appends (bytes sent, parsed response or None) to ``results``.
    """
    sock = connect(port)
    sock.setblocking(False)
    chunk = b'a' * (256 * 1024)
    data = b'GET /healthcheck HTTP/1.1\r\nHost: t\r\nX-Big: '
    sent = 0
    try:
        while sent < size:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable or not writable:
                break
            sent += sock.send(data or chunk)
            data = b''
        if sent >= size:
            sock.setblocking(True)
            sock.sendall(b'\r\n\r\n')
    except OSError:
        pass
    sock.setblocking(True)
    results.append((sent, parse_response(read_all(sock, 30))))
    sock.close()
