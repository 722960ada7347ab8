"""Sphinx configuration for vmact's guides and API reference."""

project = 'vmact'
copyright = 'vmact developers'
author = 'vmact developers'

extensions = [
    'sphinxcontrib.openapi',
]

master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build']
language = 'en'
pygments_style = 'sphinx'
html_theme = 'alabaster'
html_static_path = []


def setup(app):
    # httpdomain (sphinxcontrib-openapi) lacks 431 (RFC 6585), which
    # vmact-api answers to an oversized request head.
    from sphinxcontrib import httpdomain
    httpdomain.HTTP_STATUS_CODES.setdefault(
        431, 'Request Header Fields Too Large')
