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
