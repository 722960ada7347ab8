"""README.rst as the deployment tests read it: sections, literal blocks."""

import os
import re
import textwrap

from tests.deployment import servers

README = os.path.join(servers.REPO, 'README.rst')


def text():
    with open(README, encoding='utf-8') as readme:
        return readme.read()


def sections(source=None):
    """{title: body lines} of the top-level (``===``) sections."""
    lines = (text() if source is None else source).splitlines()
    found = {}
    title = None
    for i, line in enumerate(lines):
        underline = lines[i + 1] if i + 1 < len(lines) else ''
        if (line.strip() and not line[0].isspace()
                and re.fullmatch(r'={3,}', underline)
                and not re.fullmatch(r'={3,}', line)):
            title = line.strip()
            found[title] = []
        elif title is not None:
            found[title].append(line)
    return found


def literal_blocks(lines):
    """Each ``::`` literal block of ``lines``, dedented as rendered."""
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.rstrip().endswith('::'):
            continue
        indent = len(line) - len(line.lstrip())
        block = []
        while i < len(lines) and (
                not lines[i].strip()
                or len(lines[i]) - len(lines[i].lstrip()) > indent):
            block.append(lines[i])
            i += 1
        block_text = textwrap.dedent('\n'.join(block)).strip('\n')
        if block_text:
            blocks.append(block_text)
    return blocks


def section_blocks(title):
    """The literal blocks of the section called ``title``."""
    return literal_blocks(sections()[title])
