#!/bin/sh
# Runs before install.sh, in POSIX sh, which every image a `container:` job can use has: the steps
# after it need bash and curl (and sha256sum or shasum), and an image without them would fail in
# the middle with "bash: not found". Names everything missing in one error, with how to add it.
missing=""
command -v bash >/dev/null 2>&1 || missing="$missing bash"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
if ! command -v sha256sum >/dev/null 2>&1 && ! command -v shasum >/dev/null 2>&1; then
    missing="$missing sha256sum"
fi
[ -z "$missing" ] && exit 0
missing="${missing# }"
printf '::error title=publish-offer: missing tools::the job has no %s (in its container: image, when it has one). The action needs bash, curl and sha256sum: install them in the image (apt-get install -y bash curl ca-certificates coreutils, or apk add bash curl ca-certificates coreutils, or dnf install -y bash curl coreutils)\n' \
    "$(printf '%s' "$missing" | sed 's/ /, /g')"
exit 1
