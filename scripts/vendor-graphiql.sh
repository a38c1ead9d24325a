#!/usr/bin/env bash
# Rebuilds gateway/server/graphiql_assets/ from the npm registry: GraphiQL's prebuilt UMD bundle
# and stylesheet, and the React UMD builds it runs on, so the gateway serves GraphiQL itself and
# the page works with no internet access. Each tarball is pinned by version and checked against
# its registry integrity; the files are copied from it byte for byte. To move to other versions,
# change the pins below (`npm view PACKAGE@VERSION dist.integrity` gives the integrity), run this
# script and commit what it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

# package version integrity: file in the tarball -> name served under /graphiql/
PINS=(
  "react 18.3.1 sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=="
  "react-dom 18.3.1 sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=="
  "graphiql 3.9.0 sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA=="
)
# The files each package contributes, in the order the page loads them.
files_of() {
  case "$1" in
    react) echo "umd/react.production.min.js:react-$2.production.min.js" ;;
    react-dom) echo "umd/react-dom.production.min.js:react-dom-$2.production.min.js" ;;
    graphiql) echo "graphiql.min.css:graphiql-$2.min.css graphiql.min.js:graphiql-$2.min.js" ;;
  esac
}

target=gateway/server/graphiql_assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$target"
mkdir "$target"
scripts=()
styles=()
{
  echo "Third-party files in this folder, as published on the npm registry"
  echo "(written by scripts/vendor-graphiql.sh; do not edit by hand). The GraphiQL bundle"
  echo "holds the dependencies its own build bundled (graphql-js, CodeMirror 5, @graphiql/react"
  echo "among them), as the GraphiQL project published it."
} >"$work/LICENSES.txt"

for pin in "${PINS[@]}"; do
  read -r package version integrity <<<"$pin"
  tarball=$(cd "$work" && npm pack --silent "$package@$version")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "$package@$version: integrity $actual, expected $integrity" >&2
    exit 1
  fi
  mkdir "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package"
  for pair in $(files_of "$package" "$version"); do
    cp "$work/$package/package/${pair%%:*}" "$target/${pair##*:}"
    case "${pair##*:}" in
      *.js) scripts+=("${pair##*:}") ;;
      *.css) styles+=("${pair##*:}") ;;
    esac
  done
  {
    echo
    echo "================================================================================"
    echo "$package $version ($(node -p "require('$work/$package/package/package.json').license"))"
    echo "https://www.npmjs.com/package/$package/v/$version  $integrity"
    echo "Files: $(files_of "$package" "$version")"
    echo "--------------------------------------------------------------------------------"
    cat "$work/$package/package/LICENSE"
  } >>"$work/LICENSES.txt"
done

cp "$work/LICENSES.txt" "$target/LICENSES.txt"
node -e 'const [scripts, styles] = process.argv.slice(1).map((list) => list.split(" ").filter(Boolean));
  process.stdout.write(JSON.stringify({ scripts, styles }, null, 2) + "\n");' \
  "${scripts[*]}" "${styles[*]}" >"$target/manifest.json"
echo "wrote $target: ${styles[*]} ${scripts[*]}"
