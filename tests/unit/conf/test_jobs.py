"""The [jobs] options (vmact/conf/jobs.py)."""

from tests.unit import base
from vmact.conf import jobs
from vmact.conf import opts


class JobsOptionsTest(base.TestCase):

    def test_defaults_of_the_design(self):
        expected = {
            'max_servers_per_job': 10000, 'retention': 30,
            'max_duration': 86400, 'lease_time': 30,
            'lease_renew_interval': 10, 'scan_interval': 5,
            'max_running_jobs': 4, 'chunk_size': 100, 'rate': 0,
            'burst': 100, 'max_resends': 3, 'max_retry_after': 60,
            'reconcile_clock_skew': 5, 'page_size': 100,
            'max_page_size': 1000, 'topic': 'vmact-engine',
            'cast_timeout': 5, 'max_wave_pause': 3600, 'max_grace': 600,
            'default_grace': 60}
        self.assertEqual(expected,
                         {name: self.conf.jobs[name] for name in expected})
        self.assertEqual(set(expected), {o.name for o in jobs.OPTS})

    def test_every_option_has_help_and_is_in_the_sample(self):
        for opt in jobs.OPTS:
            self.assertGreater(len(opt.help), 20, opt.name)
        listed = dict(opts.list_opts())
        self.assertEqual(jobs.OPTS, listed[jobs.GROUP])
        self.assertEqual({jobs.GROUP: jobs.OPTS}, jobs.list_opts())

    def test_zero_rate_means_no_limit_and_negative_is_refused(self):
        self.flags(group='jobs', rate=0)
        self.assertEqual(0, self.conf.jobs.rate)
        self.assertRaises(ValueError, self.flags, group='jobs', rate=-1)
        self.assertRaises(ValueError, self.flags, group='jobs', chunk_size=0)
