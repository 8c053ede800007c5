#!/usr/bin/env bash
# Checks what `npm publish` would ship, package by package: publint (package.json fields,
# exports, files), @arethetypeswrong/cli (types resolve for import and require), and the
# tarball's list (LICENSE in, no .tsbuildinfo). Needs a build. Exits non-zero on any problem.
#
# attw's cjs-resolves-to-esm rule is ignored: the packages are ESM only, and Node loads them
# with require() since 20.19 (require(esm)); TypeScript's nodenext types them for both.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0
for dir in packages/*/; do
  name=$(node -p "require('./${dir}package.json').name")
  if [ "$(node -p "Boolean(require('./${dir}package.json').private)")" = "true" ]; then continue; fi
  echo "check-packages: $name"
  (cd "$dir" && npx --no-install publint --strict) || failed=1
  (cd "$dir" && npx --no-install attw --pack . --ignore-rules cjs-resolves-to-esm --no-emoji --no-color --format ascii) || failed=1
  listing=$(cd "$dir" && npm pack --dry-run --json 2>/dev/null | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s)[0].files.map(f=>f.path).join('\n')))")
  if grep -q 'tsbuildinfo' <<<"$listing"; then echo "check-packages: $name ships a .tsbuildinfo" >&2; failed=1; fi
  if ! grep -qx 'LICENSE' <<<"$listing"; then echo "check-packages: $name ships no LICENSE" >&2; failed=1; fi
  if ! grep -qx 'CHANGELOG.md' <<<"$listing"; then echo "check-packages: $name ships no CHANGELOG.md" >&2; failed=1; fi
done
exit "$failed"
