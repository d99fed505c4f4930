#!/usr/bin/env bash
# install-publish-offer.sh VERSION [DIR]: puts the publish-offer release binary for this machine
# (Linux or macOS, x86_64 or arm64) in DIR (default: ./publish-offer-bin) and prints its path, for
# CI agents without Docker. The binary is kept only when its SHA-256 equals its line in the
# release's SHA256SUMS; set PUBLISH_OFFER_SHA256SUMS to a SHA256SUMS file you keep in your own
# repository (copied once from the release) and the download location needs no trust at all.
# On Azure Pipelines it also puts DIR on the PATH of the steps after it. Windows:
# install-publish-offer.ps1. Needs bash, curl and sha256sum (or shasum).
#
#   - script: curl -fsSLO https://raw.githubusercontent.com/OWNER/publish-offer/vX.Y.Z/examples/install-publish-offer.sh
#             && bash install-publish-offer.sh X.Y.Z "$(Agent.ToolsDirectory)/publish-offer"
set -euo pipefail

version="${1:?usage: install-publish-offer.sh VERSION [DIR]}"
dir="${2:-publish-offer-bin}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || {
    echo "install-publish-offer: '$version' is not a version (X.Y.Z)" >&2
    exit 2
}
# The release's assets; a mirror (or a test's loopback server) can stand in.
base="${PUBLISH_OFFER_DOWNLOAD_URL:-https://github.com/OWNER/publish-offer/releases/download/v$version}"
base="${base%/}"

case "$(uname -s)/$(uname -m)" in
Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-musl ;;
Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
Darwin/arm64) target=aarch64-apple-darwin ;;
Darwin/x86_64) target=x86_64-apple-darwin ;;
*)
    echo "install-publish-offer: no release binary for $(uname -s)/$(uname -m) (Linux and macOS on x86_64 or arm64; Windows: install-publish-offer.ps1)" >&2
    exit 1
    ;;
esac
asset="publish-offer-$target"

# Only https leaves the machine; plain http is for a loopback server.
# The host must end at a port or the path: in http://127.0.0.1:1@elsewhere/ it is elsewhere.
protocols='=https'
if [[ "$base" =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]]; then
    protocols='=http'
elif [[ ! "$base" =~ ^https:// ]]; then
    echo "install-publish-offer: PUBLISH_OFFER_DOWNLOAD_URL must be https ($base)" >&2
    exit 2
fi
fetch() {
    curl --fail --silent --show-error --location --proto "$protocols" --proto-redir "$protocols" \
        --connect-timeout 20 --max-time 300 --retry 10 --retry-max-time 300 \
        --user-agent "publish-offer-install/$version" --output "$2" "$1"
}
sha256_of() {
    if command -v sha256sum >/dev/null; then sha256sum <"$1" | cut -d' ' -f1; else shasum -a 256 <"$1" | cut -d' ' -f1; fi
}

mkdir -p "$dir"
work="$(mktemp -d "$dir/.download.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [[ -n "${PUBLISH_OFFER_SHA256SUMS:-}" ]]; then
    cp "$PUBLISH_OFFER_SHA256SUMS" "$work/SHA256SUMS"
else
    fetch "$base/SHA256SUMS" "$work/SHA256SUMS"
fi
expected="$(awk -v asset="$asset" '$2 == asset || $2 == "*" asset { print $1; exit }' "$work/SHA256SUMS")"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || {
    echo "install-publish-offer: SHA256SUMS has no checksum for $asset" >&2
    exit 1
}
fetch "$base/$asset" "$work/$asset"
actual="$(sha256_of "$work/$asset")"
[[ "$actual" == "$expected" ]] || {
    echo "install-publish-offer: refused $base/$asset: its SHA-256 is $actual, but SHA256SUMS says $expected" >&2
    exit 1
}
chmod 755 "$work/$asset"
mv -f "$work/$asset" "$dir/publish-offer"
dir="$(cd "$dir" && pwd)"
echo "publish-offer $version verified (SHA-256 $expected): $dir/publish-offer" >&2
if [[ "${TF_BUILD:-}" == True ]]; then
    echo "##vso[task.prependpath]$dir"
fi
echo "$dir/publish-offer"
