#!/usr/bin/env bash
# Puts the publish-offer release binary for this runner in the tool cache and writes its path to
# the step output `path` (action.yml runs it next). The binary comes from the release named in
# release.env; it is used only when its SHA-256 equals the one committed in SHA256SUMS, so the
# download location needs no trust. A cached copy is checked the same way before every use.
# Linux and macOS; install.ps1 is the same for Windows.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The repository the action comes from, for the advice below. GITHUB_ACTION_REPOSITORY is empty in
# a composite action's steps; the runner checks the action out at .../_actions/OWNER/REPO/REF, so
# its path names it.
action_path="${GITHUB_ACTION_PATH:-$(dirname "$here")}"
repository="${GITHUB_ACTION_REPOSITORY:-}"
if [[ -z "$repository" && "$action_path" =~ /_actions/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/[^/]+ ]]; then
    repository="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
fi
repository="${repository:-OWNER/publish-offer}"
# The release pushes the image as ghcr.io/<owner>/<name>, lower-cased (image names must be).
image="ghcr.io/$(printf '%s' "$repository" | tr '[:upper:]' '[:lower:]')"

fail() {
    printf '::error title=publish-offer: no binary::%s\n' "$1"
    exit 1
}

# A ref without a usable release binary (a fork, an unreleased commit): say what works instead.
no_release() {
    fail "$1. Pin a released version of the action (uses: $repository@vX.Y.Z, or a release's commit SHA), or run the image instead: uses: docker://$image:X.Y.Z"
}

version="" download_url=""
# `|| [[ -n "$key" ]]`: a last line without a newline counts too.
while IFS='=' read -r key value || [[ -n "$key" ]]; do
    case "$key" in
    version) version="$value" ;;
    download_url) download_url="${value%/}" ;;
    esac
done <"$here/release.env"
[[ -n "$version" && -n "$download_url" ]] || no_release "this revision of the action names no release (action/release.env is empty)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || fail "action/release.env: version '$version' is not X.Y.Z"

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
Linux/X64) target=x86_64-unknown-linux-musl ;;
Linux/ARM64) target=aarch64-unknown-linux-musl ;;
macOS/ARM64) target=aarch64-apple-darwin ;;
macOS/X64) target=x86_64-apple-darwin ;;
*) no_release "no release binary for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?} (there are binaries for Linux X64 and ARM64, macOS ARM64 and X64, Windows X64, which Windows ARM64 runs too)" ;;
esac
asset="publish-offer-$target"

expected="$(awk -v asset="$asset" '$2 == asset || $2 == "*" asset { print $1; exit }' "$here/SHA256SUMS")"
[[ -n "$expected" ]] || no_release "release $version has no checksum for $asset in action/SHA256SUMS"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "action/SHA256SUMS: the checksum of $asset is not 64 hex digits"

# From stdin: given a name holding a backslash or a newline, sha256sum starts its line with '\'.
sha256_of() {
    if command -v sha256sum >/dev/null; then
        sha256sum <"$1" | cut -d' ' -f1
    else
        shasum -a 256 <"$1" | cut -d' ' -f1
    fi
}

# The tool cache's layout (<tool>/<version>/<arch>, complete when <arch>.complete exists), so
# @actions/tool-cache and the runner's cache clean-up know it.
cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
arch_dir="$cache_root/publish-offer/$version/$(printf '%s' "$RUNNER_ARCH" | tr '[:upper:]' '[:lower:]')"
binary="$arch_dir/publish-offer"

publish_path() {
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        printf 'path=%s\n' "$binary" >>"$GITHUB_OUTPUT"
    fi
}

# Only a regular file counts: a link's target, outside the cache, could change after the check.
if [[ -f "$arch_dir.complete" && ! -L "$arch_dir.complete" && -f "$binary" && ! -L "$binary" && -x "$binary" ]]; then
    if [[ "$(sha256_of "$binary")" == "$expected" ]]; then
        echo "publish-offer $version from the tool cache: $binary"
        publish_path
        exit 0
    fi
    echo "::warning title=publish-offer::the cached $binary does not match its checksum; downloading it again"
    rm -f "$arch_dir.complete" "$binary"
elif [[ -L "$binary" || -L "$arch_dir.complete" ]]; then
    # Removed, not replaced: mv -f would put the download in a directory the link points to.
    echo "::warning title=publish-offer::the cached $binary is a symbolic link; downloading it again"
    rm -f "$arch_dir.complete" "$binary"
fi

url="$download_url/$asset"
# Only https leaves the machine; plain http is for a loopback server (the tests).
# The host must end at a port or the path: in http://127.0.0.1:1@elsewhere/ it is elsewhere.
protocols='=https'
if [[ "$url" =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]]; then
    protocols='=http'
elif [[ ! "$url" =~ ^https:// ]]; then
    # Refused here, as install.ps1 does: curl would refuse it too, but --retry-all-errors retries
    # that refusal for minutes.
    fail "action/release.env: download_url must be https ($url)"
fi
mkdir -p "$arch_dir"
partial="$(mktemp "$arch_dir/.download.XXXXXX")"
trap 'rm -f "$partial"' EXIT
# Release downloads fail now and then (a reset, a 5xx from the CDN): ten retries with curl's
# doubling pause, bounded by --retry-max-time. --retry-all-errors (curl 7.71+) retries a dropped
# connection too; without --fail an HTTP 404 is no error to curl, so a missing asset still ends
# at once. The User-Agent tells the download's owner who asks.
retry=(--retry 10 --retry-max-time 300)
curl_version="$(curl --version 2>/dev/null | sed -nE '1s/^curl ([0-9]+)\.([0-9]+).*/\1 \2/p')"
read -r curl_major curl_minor <<<"${curl_version:-0 0}"
if ((curl_major > 7 || (curl_major == 7 && curl_minor >= 71))); then
    retry+=(--retry-all-errors)
fi
code="$(curl --silent --show-error --location --proto "$protocols" --proto-redir "$protocols" \
    --connect-timeout 20 --max-time 300 "${retry[@]}" \
    --user-agent "publish-offer-action/$version (+https://github.com/$repository)" \
    --output "$partial" --write-out '%{http_code}' \
    "$url")" || fail "downloading $url failed (curl exit $?)"
case "$code" in
200) ;;
404) no_release "release $version has no asset $asset ($url: HTTP 404)" ;;
*) fail "downloading $url failed: HTTP $code" ;;
esac

actual="$(sha256_of "$partial")"
[[ "$actual" == "$expected" ]] || fail "refused $url: its SHA-256 is $actual, but action/SHA256SUMS says $expected"

chmod 755 "$partial"
mv -f "$partial" "$binary"
: >"$arch_dir.complete"
echo "publish-offer $version downloaded and verified (SHA-256 $expected): $binary"
publish_path
