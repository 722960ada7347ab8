"""vmact.exception: error codes and the safe rendering of client values."""

from tests.unit import base
from vmact import exception


class QuoteTest(base.TestCase):

    def test_plain_value_is_json_quoted(self):
        self.assertEqual('"demo"', exception.quote('demo'))

    def test_control_characters_are_escaped(self):
        quoted = exception.quote('a\r\nSet-Cookie: x\x00')
        self.assertEqual('"a\\r\\nSet-Cookie: x\\u0000"', quoted)
        self.assertTrue(quoted.isprintable())

    def test_non_ascii_is_escaped(self):
        self.assertEqual('"\\u00e9t\\u00e9"', exception.quote('\xe9t\xe9'))

    def test_bytes_not_utf8_are_escaped_not_raised(self):
        self.assertEqual('"ab\\\\xff"', exception.quote(b'ab\xff'))

    def test_long_value_is_cut_to_the_limit_keeping_the_quote(self):
        quoted = exception.quote('x' * 1000)
        self.assertEqual(80, len(quoted))
        self.assertTrue(quoted.endswith('x..."'), quoted)
        self.assertEqual(20, len(exception.quote('y' * 50, limit=20)))

    def test_value_at_the_limit_is_not_cut(self):
        self.assertEqual('"%s"' % ('z' * 78), exception.quote('z' * 78))


class ErrorTest(base.TestCase):

    def test_each_error_has_its_status(self):
        self.assertEqual(
            [400, 401, 403, 404, 503, 502, 504, 500],
            [cls('m').code for cls in (
                exception.BadRequest, exception.Unauthorized,
                exception.Forbidden, exception.NotFound,
                exception.BackendUnavailable, exception.BackendError,
                exception.BackendTimeout, exception.VmactError)])

    def test_code_can_be_given(self):
        error = exception.BadRequest('too large', code=413)
        self.assertEqual((413, 'too large'), (error.code, error.msg))
        self.assertEqual(400, exception.BadRequest('x').code)

    def test_unknown_region_names_it_safely_and_lists_known_ones(self):
        error = exception.UnknownRegion('Re\ngion', {'b', 'a'})
        self.assertEqual(400, error.code)
        self.assertEqual('Unknown region "Re\\ngion"; known regions: a, b',
                         error.msg)
        self.assertEqual(['a', 'b'], error.known)
        self.assertIn('(none)', exception.UnknownRegion('x', ()).msg)
