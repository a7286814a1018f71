# syntax=docker/dockerfile:1
# clustersec container image: a static (musl) release binary in an empty image.
#
#   docker build -t clustersec .                    # minimal image, FROM scratch (default target)
#   docker build -t clustersec:alpine --target alpine .   # same binary with a shell, for CI jobs
#   docker run --rm -v "$PWD:/work:ro" clustersec scan .
#
# Dockerfile.local builds the runtime stage from a binary built outside Docker
# (scripts/build-image-local.sh), for machines that cannot pull base images.

ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22

FROM rust:${RUST_VERSION}-alpine AS builder
# On Alpine the host target is *-linux-musl, which links statically by default.
# musl-dev tracks the base image's Alpine release; pinning its exact version would break every rebuild.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && cp target/release/clustersec /clustersec \
    && /clustersec --version

# A variant with a shell (GitLab CI and other runners need one to run `script:` lines).
FROM alpine:${ALPINE_VERSION} AS alpine
COPY --from=builder /clustersec /usr/local/bin/clustersec
RUN adduser -D -H -u 65532 clustersec
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["clustersec"]
CMD ["scan", "."]

# The default target: nothing but the binary.
FROM scratch AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="clustersec" \
      org.opencontainers.image.description="Line- and column-accurate security scanner for Kubernetes manifests" \
      org.opencontainers.image.source="https://github.com/clustersec/clustersec" \
      org.opencontainers.image.url="https://github.com/clustersec/clustersec" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=builder /clustersec /usr/local/bin/clustersec
# A numeric non-root user: scratch has no /etc/passwd to name one.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["clustersec"]
CMD ["scan", "."]
