"""vmact's libcloud driver against a real EC2 API server on loopback.

moto's server mode (``python -m moto.server``) on 127.0.0.1 is the EC2
API; libcloud's real EC2 driver talks to it over HTTP through
:class:`~tests.functional.ec2.server.EC2Proxy`, a loopback proxy that
exists for the tests only:

* moto answers with the XML namespace
  ``http://ec2.amazonaws.com/doc/2016-11-15`` where real EC2 (and
  libcloud's parser) have a trailing slash; the proxy restores it, or
  libcloud would find no instance at all. The product is not changed
  for moto.
* moto answers RebootInstances without EC2's ``<return>true</return>``
  (libcloud's sign of an accepted reboot); the proxy adds it.
* moto accepts any action on a terminated instance; the proxy answers
  actions on the instances a test names as real EC2 does
  (``IncorrectInstanceState``, HTTP 400).
* faults are injected there: throttling (EC2's 503
  ``RequestLimitExceeded``, on every call or on the first call per
  instance), a failed authentication, a hang.

libcloud signs with signature version 4 (``driver_options =
signature_version:4``): moto's multi-service server routes a request by
its signature and answers version 2 as S3.
"""
