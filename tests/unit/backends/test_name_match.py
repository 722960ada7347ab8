"""select.name: compiled once, matched within a budget, errors named."""

import testtools

from vmact.backends import name_match
from vmact import exception


class FakeClock(object):

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class NameMatchTest(testtools.TestCase):

    def test_search_finds_a_match_anywhere_in_the_name(self):
        matcher = name_match.NameMatcher('^web-[0-9]+$')
        self.assertTrue(matcher.search('web-12'))
        self.assertFalse(matcher.search('db-1'))
        self.assertTrue(name_match.NameMatcher('eb').search('web-12'))

    def test_invalid_pattern_is_a_400_naming_the_field(self):
        e = self.assertRaises(exception.BadRequest,
                              name_match.NameMatcher, '(unclosed')
        self.assertIn('"select.name"', e.msg)
        self.assertIn('not a valid regular expression', e.msg)

    def test_catastrophic_pattern_is_a_400_within_the_budget(self):
        matcher = name_match.NameMatcher('(a|aa)+$', budget=0.2)
        e = self.assertRaises(exception.BadRequest, matcher.search,
                              'a' * 60 + '-x')
        self.assertIn('took more than 0.2 s', e.msg)

    def test_budget_is_shared_by_every_name_of_one_selection(self):
        clock = FakeClock()
        matcher = name_match.NameMatcher('web', budget=1.0, clock=clock)
        self.assertTrue(matcher.search('web-1'))
        clock.now += 1.5
        self.assertRaises(exception.BadRequest, matcher.search, 'web-2')
