# syntax=docker/dockerfile:1
#
# The publish-offer image: one static musl binary in an otherwise empty image.
#
#   docker build -t publish-offer .                   # the action image (the last stage)
#   docker build --target shell -t publish-offer:shell .   # plus busybox sh, for CI job images
#
# The binary is built here from source by default (what `image: Dockerfile` in a fork's
# action.yml does). The release workflow builds the binaries once for the release assets and
# passes them in instead: --build-arg BINARY_FROM=dist with dist/<arch>/publish-offer in the
# context (<arch> = Docker's TARGETARCH: amd64, arm64).
#
# No USER line, on purpose: GitHub runs docker actions as root and mounts $GITHUB_OUTPUT and
# $GITHUB_STEP_SUMMARY owned by the runner's user, which a non-root user in the container cannot
# write. Elsewhere, run it as any user you like: docker run --user 65534:65534 ...
#
# TLS uses rustls with built-in roots (no CA bundle in the image); SSL_CERT_FILE adds roots for
# TLS-inspecting proxies, HTTPS_PROXY / NO_PROXY are honoured.

# Base images are named in full on their FROM lines (no ARG), so Dependabot can update them.
# build: compile here; dist: take dist/${TARGETARCH}/publish-offer from the context.
ARG BINARY_FROM=build

# ---- the binary, compiled from source (native to the platform being built) ----
FROM rust:1.95-alpine AS build
# A pipe below must fail the build when any part of it fails.
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
# Not pinned: the base image's Alpine release fixes which gcc and musl-dev it offers, and pinning
# exact package revisions would break the build each time Alpine ships a fix.
# hadolint ignore=DL3018
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Rust's musl targets link statically by default; refuse a binary that needs a loader, since
# the final image has none.
RUN cargo build --locked --release \
 && cp target/release/publish-offer /publish-offer \
 && if readelf -l /publish-offer | grep -q 'program interpreter'; then \
      echo 'publish-offer is not statically linked' >&2; exit 1; \
    fi \
 && /publish-offer --version

# ---- the binary, built outside (the release workflow) ----
FROM scratch AS dist
ARG TARGETARCH
# Workflow artifacts lose the executable bit.
COPY --chmod=755 dist/${TARGETARCH}/publish-offer /publish-offer

# ---- contract: stage "binary" holds /publish-offer ----
FROM ${BINARY_FROM} AS binary

# ---- contract: stage "busybox" holds /out/bin/busybox (static, for the target platform) and
# ---- a link /out/bin/<applet> -> busybox for each applet, sh among them ----
FROM busybox:1.37.0-musl AS busybox-image
# The links are made on the build platform, so no emulation is needed for other architectures.
FROM --platform=$BUILDPLATFORM busybox:1.37.0-musl AS busybox
COPY --from=busybox-image /bin/busybox /out/bin/busybox
RUN for applet in $(busybox --list); do \
      [ "$applet" = busybox ] || ln -s busybox "/out/bin/$applet"; \
    done \
 && test -L /out/bin/sh

# ==== final stages: .ci/image-test builds everything below this line as it is ====
FROM scratch AS base
ARG VERSION=dev
ARG REVISION=unknown
# The release passes the repository it is built from (github.server_url/github.repository).
ARG SOURCE=
LABEL org.opencontainers.image.title="publish-offer" \
      org.opencontainers.image.description="Publishes an Azure Marketplace offer through the Cloud Partner Portal API, waits for the operation and reports the outcome to the CI system" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=binary /publish-offer /usr/local/bin/publish-offer
ENV PATH=/usr/local/bin:/bin

# Tagged <version>-shell: for CI systems that run the job script with sh in the job's image
# (GitLab's docker executor). No entrypoint, so the CI system's sh runs; `docker run` without a
# command still runs publish-offer.
FROM base AS shell
COPY --from=busybox /out/ /
CMD ["publish-offer"]

# The action image (the default target). publish-offer is PID 1 and handles SIGTERM and SIGINT.
FROM base AS runtime
ENTRYPOINT ["/usr/local/bin/publish-offer"]
