#!/usr/bin/env bash
# Install everything vmact's tests need, then run every suite:
#
#   bash tools/test-all.sh              # pep8, py3, docs, functional,
#                                       # deployment, hardening
#   bash tools/test-all.sh -e py3       # other tox arguments instead
#
# 1. Debian's packages below, with apt-get, when any is missing: as root,
#    or through sudo when sudo needs no password; otherwise it stops and
#    prints the apt-get command to run.
# 2. tox, with pip, into a virtualenv of its own (.venv/tox) made by
#    ${PYTHON:-python3}; tox then builds each suite's virtualenv in .tox/.
# 3. tox itself.
#
# .ci/run calls this script: it must work as root on a fresh clone with
# no standard input (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C.UTF-8 LANG=C.UTF-8

# Debian packages, by the suite that needs them. A new service (a
# database, a message queue) adds its packages here and its start-up to
# start_services below.
APT_PACKAGES=(
    # deployment: Apache httpd and mod_wsgi, compiled for Debian's python3
    # (www-data cannot read a Python under /root).
    apache2 apache2-dev python3-dev python3-venv
    # deployment: the shared token cache.
    memcached
    # deployment: the README's own curl examples (tests/deployment/
    # test_readme.py).
    curl
    # pbr takes vmact's version from git.
    git
    # functional: the jobs database (tests/functional/fixtures/postgres.py
    # runs initdb and postgres itself, as the postgres user under root).
    postgresql
    # functional: the jobs' message broker (tests/functional/fixtures/
    # rabbitmq.py runs the package's rabbitmq-server script and epmd).
    rabbitmq-server
)
TOX_REQUIREMENT='tox>=4.0'
DEFAULT_TOX_ARGS=(-e pep8,py3,docs,functional,deployment,hardening)

missing_packages() {
    local package
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null \
            | grep -q '^install ok installed$' || echo "$package"
    done
}

install_system_packages() {
    if ! command -v apt-get >/dev/null; then
        echo "No apt-get here: install the equivalents of Debian's" \
             "${APT_PACKAGES[*]} yourself." >&2
        return
    fi
    local missing sudo=()
    missing=$(missing_packages | paste -sd ' ' -)
    if [ -z "$missing" ]; then
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        if sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            echo "Missing Debian packages: $missing" >&2
            echo "Run: sudo apt-get install $missing" \
                 "(or run this script as root)." >&2
            exit 1
        fi
    fi
    echo "Installing Debian packages: $missing"
    "${sudo[@]}" apt-get update -qq
    # shellcheck disable=SC2086
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $missing >/dev/null
}

start_services() {
    # Services the suites expect already running start here. None: the
    # tests start their own Keystone, Nova, PostgreSQL, RabbitMQ, Apache,
    # memcached, vmact-api and vmact-engine processes on loopback, so
    # they can stop, kill and freeze them.
    :
}

install_tox() {
    local python=${PYTHON:-python3}
    if [ ! -x .venv/tox/bin/tox ]; then
        echo "Installing $TOX_REQUIREMENT into .venv/tox"
        "$python" -m venv .venv/tox
        .venv/tox/bin/pip install --quiet --disable-pip-version-check \
            "$TOX_REQUIREMENT"
    fi
}

install_system_packages
start_services
install_tox
if [ $# -eq 0 ]; then
    set -- "${DEFAULT_TOX_ARGS[@]}"
fi
exec .venv/tox/bin/tox "$@"
