"""The progress bar: drawn in place on a terminal, silent elsewhere."""

import io

from oslotest import base

from vmact.client.jobs import Job
from vmact.client.osc import progress


class FakeTty(io.StringIO):

    def isatty(self):
        return True


class ProgressBarTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.now = 100.0
        self.tty = FakeTty()

    def bar(self, stream=None, **kwargs):
        return progress.ProgressBar(stream or self.tty, width=10,
                                    clock=lambda: self.now, **kwargs)

    def test_render(self):
        self.assertEqual(
            '[###-------] 3/10 servers done, 1 failed, 0:01:05 elapsed',
            progress.render(3, 10, 1, 65.9, width=10))
        self.assertEqual(
            '[----------] 0/0 servers done, 0 failed, 1:00:00 elapsed',
            progress.render(0, 0, 0, 3600, width=10))
        self.assertEqual('[##########] 12/10',
                         progress.render(12, 10, 0, 0, width=10)[:18])

    def test_redrawn_in_place_then_ended_with_a_newline(self):
        bar = self.bar()
        bar.update(0, 20, 0)
        self.now += 12
        bar.update(10, 20, 2)
        bar.finish()
        self.assertEqual(
            '\r[----------] 0/20 servers done, 0 failed, 0:00:00 elapsed'
            '\r[#####-----] 10/20 servers done, 2 failed, 0:00:12 elapsed'
            '\n', self.tty.getvalue())

    def test_a_shorter_line_blanks_the_rest_of_the_longer_one(self):
        bar = self.bar()
        bar.update(100, 1000, 100)
        bar.update(1, 1000, 0)
        first, second = self.tty.getvalue().split('\r')[1:]
        self.assertEqual(len(first), len(second))
        self.assertTrue(second.endswith('elapsed' + ' ' * 4))

    def test_job_progress_callback(self):
        bar = self.bar()
        bar.job_progress(Job({'job_id': 'j', 'server_count': 4, 'wait': 0,
                              'counts': {'accepted': 2, 'failed': 1,
                                         'pending': 1}}))
        self.assertIn('3/4 servers done, 1 failed', self.tty.getvalue())

    def test_silent_off_a_terminal_or_when_disabled(self):
        plain = io.StringIO()
        for bar in (self.bar(plain), self.bar(enabled=False)):
            bar.update(1, 2, 0)
            bar.finish()
        self.assertEqual('', plain.getvalue())
        self.assertEqual('', self.tty.getvalue())

    def test_finish_without_drawing_writes_nothing(self):
        self.bar().finish()
        self.assertEqual('', self.tty.getvalue())
