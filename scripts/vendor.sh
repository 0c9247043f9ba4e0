#!/usr/bin/env bash
# Fetch the vendored front-end libraries from the npm registry into static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent htmx.org@2.0.11 chart.js@4.6.1 @picocss/pico@2.1.1 sortablejs@1.15.7 axe-core@4.14.1 chartjs-chart-sankey@0.19.1 >/dev/null)
for f in "$tmp"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
cp "$tmp"/htmx.org-*/package/dist/htmx.min.js static/vendor/htmx/
# The source map is not vendored: drop its reference, or collectstatic's manifest storage fails.
sed '/^\/\/# sourceMappingURL=/d' "$tmp"/chart.js-*/package/dist/chart.umd.min.js > static/vendor/chartjs/chart.umd.min.js
cp "$tmp"/picocss-pico-*/package/css/pico.min.css static/vendor/pico/
cp "$tmp"/sortablejs-*/package/Sortable.min.js static/vendor/sortable/
# The Sankey chart type for the vendored Chart.js (analytics paths); it registers itself on window.Chart.
mkdir -p static/vendor/sankey
cp "$tmp"/chartjs-chart-sankey-*/package/dist/chartjs-chart-sankey.min.js static/vendor/sankey/
# axe-core is loaded only by the browser tests (the accessibility check), never by a page.
mkdir -p static/vendor/axe
cp "$tmp"/axe-core-*/package/axe.min.js static/vendor/axe/
echo "Vendored files updated; record the versions in static/vendor/VERSIONS.md."
