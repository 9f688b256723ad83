#!/usr/bin/env bash
# Refresh the project's own catalog (domain `messages`) after source strings change:
# re-extract admin_app/**.py and templates/**.html into messages.pot, then merge it
# into every translations/<locale>/LC_MESSAGES/messages.po.
#
# Run from the repository root:   admin_app/translations/update.sh
# Then translate the new/empty msgstr entries and check with:
#   .venv/bin/pybabel compile -d admin_app/translations -f --statistics
set -euo pipefail

CFG=admin_app/translations/babel.cfg
POT=admin_app/translations/messages.pot
DIR=admin_app/translations
PYBABEL=${PYBABEL:-.venv/bin/pybabel}

if [[ ! -f $CFG ]]; then
  echo "error: run this from the repository root ($CFG not found)" >&2
  exit 1
fi

VERSION=$(sed -n 's/^version *= *//p' setup.cfg | head -n1)

"$PYBABEL" extract -F "$CFG" -k _l -k lazy_gettext --add-comments=TRANSLATORS: \
  --project="Gestão Admin" --version="${VERSION:-0.0.0}" --sort-by-file \
  -o "$POT" .
"$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
