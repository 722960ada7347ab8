"""vmact's policy defaults, in code (oslo.policy)."""

import itertools

from vmact.policies import base
from vmact.policies import jobs
from vmact.policies import metrics
from vmact.policies import vm_act


def list_rules():
    return itertools.chain(base.list_rules(), vm_act.list_rules(),
                           jobs.list_rules(), metrics.list_rules())
