#!/usr/bin/env bash
# Install everything the test suite needs (system packages, Python extras, npm tools) and run it all.
# Used as is by README's quick start and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: Debian's Chromium for browser tests, CJK and emoji fonts so the browser sees real
# glyphs, a Java runtime for the Nu HTML checker.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
for package in fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; fi

export PYTHONHASHSEED=0
status=0
python3 -m pytest -n auto -p no:cacheprovider "$@" || status=$?
echo "test run took $(( $(date +%s) - start )) s"
exit "$status"
