# syntax=docker/dockerfile:1
# clustersec container images: a static (musl) release binary in an empty image, or with helm
# and kustomize for CI jobs that scan charts and overlays.
#
#   docker build -t clustersec .                          # minimal image, FROM scratch (default target)
#   docker build -t clustersec:render --target render .   # + shell, helm, kustomize (GitLab CI default)
#   docker build -t clustersec:alpine --target alpine .   # + shell only
#   docker run --rm -v "$PWD:/work:ro" clustersec scan .
#
# The binary is compiled here by default. The release workflow passes --build-arg BINARY=prebuilt
# to copy its own (attested) musl binaries from dist/linux-<arch>/clustersec in the build context
# instead, so the images hold exactly the released binaries, for linux/amd64 and linux/arm64
# without emulation.
#
# .git is not in the build context: pass --build-arg CLUSTERSEC_COMMIT=$(git rev-parse HEAD) for
# `clustersec --version` to name the commit of a source build.
#
# Dockerfile.local builds the runtime stage from a binary built outside Docker
# (scripts/build-image-local.sh), for machines that cannot pull base images.

ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22
# source: compile in the builder stage; prebuilt: dist/linux-${TARGETARCH}/clustersec.
ARG BINARY=source

FROM rust:${RUST_VERSION}-alpine AS builder
# On Alpine the host target is *-linux-musl, which links statically by default.
# musl-dev tracks the base image's Alpine release; pinning its exact version would break every rebuild.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
ARG CLUSTERSEC_COMMIT=
RUN cargo build --release --locked \
    && cp target/release/clustersec /clustersec \
    && /clustersec --version

FROM scratch AS binary-source
COPY --from=builder /clustersec /clustersec

FROM scratch AS binary-prebuilt
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/clustersec /clustersec

# hadolint ignore=DL3006
FROM binary-${BINARY} AS binary

# helm and kustomize for the render image: pinned versions, checked against their published
# SHA-256 sums (the build fails on a mismatch). Downloaded on the build platform, for the target
# architecture. To upgrade: change the version and both sums (helm: the .sha256sum file next to
# each archive on get.helm.sh; kustomize: checksums.txt of the GitHub release).
FROM --platform=$BUILDPLATFORM alpine:${ALPINE_VERSION} AS render-tools
ARG TARGETARCH
ARG HELM_VERSION=3.19.0
ARG HELM_SHA256_AMD64=a7f81ce08007091b86d8bd696eb4d86b8d0f2e1b9f6c714be62f82f96a594496
ARG HELM_SHA256_ARM64=440cf7add0aee27ebc93fada965523c1dc2e0ab340d4348da2215737fc0d76ad
ARG KUSTOMIZE_VERSION=5.7.1
ARG KUSTOMIZE_SHA256_AMD64=ea375e7372f9aa029129d4b2d16c66b7750b7f1213c4f66f910d981c895818d8
ARG KUSTOMIZE_SHA256_ARM64=4261a040217df3bd6896597c3986d1465925726e4f22a945304b5233a4dcdbda
WORKDIR /tools
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
RUN case "$TARGETARCH" in \
        amd64) helm_sha=$HELM_SHA256_AMD64; kustomize_sha=$KUSTOMIZE_SHA256_AMD64 ;; \
        arm64) helm_sha=$HELM_SHA256_ARM64; kustomize_sha=$KUSTOMIZE_SHA256_ARM64 ;; \
        *) echo "no pinned helm/kustomize for $TARGETARCH" >&2; exit 1 ;; \
    esac \
    && wget -q -O helm.tar.gz "https://get.helm.sh/helm-v${HELM_VERSION}-linux-${TARGETARCH}.tar.gz" \
    && echo "${helm_sha}  helm.tar.gz" | sha256sum -c - \
    && wget -q -O kustomize.tar.gz "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv${KUSTOMIZE_VERSION}/kustomize_v${KUSTOMIZE_VERSION}_linux_${TARGETARCH}.tar.gz" \
    && echo "${kustomize_sha}  kustomize.tar.gz" | sha256sum -c - \
    && mkdir bin \
    && tar -xzf helm.tar.gz "linux-${TARGETARCH}/helm" \
    && tar -xzf kustomize.tar.gz kustomize \
    && mv "linux-${TARGETARCH}/helm" kustomize bin/ \
    && chmod 0755 bin/helm bin/kustomize \
    && rm -r helm.tar.gz kustomize.tar.gz "linux-${TARGETARCH}"

# With a shell and helm + kustomize: charts and overlays are rendered and scanned as in the
# GitHub Action. The default image of the GitLab template. No RUN here, so building it for
# another architecture needs no emulation.
FROM alpine:${ALPINE_VERSION} AS render
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="clustersec" \
      org.opencontainers.image.description="Line- and column-accurate security scanner for Kubernetes manifests, with helm and kustomize" \
      org.opencontainers.image.source="https://github.com/clustersec/clustersec" \
      org.opencontainers.image.url="https://github.com/clustersec/clustersec" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=render-tools /tools/bin/helm /tools/bin/kustomize /usr/local/bin/
COPY --from=binary /clustersec /usr/local/bin/clustersec
# helm needs a writable HOME for its caches; clustersec points helm's homes at a temp dir anyway.
ENV HOME=/tmp
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["clustersec"]
CMD ["scan", "."]

# A variant with a shell (GitLab CI and other runners need one to run `script:` lines).
FROM alpine:${ALPINE_VERSION} AS alpine
COPY --from=binary /clustersec /usr/local/bin/clustersec
ENV HOME=/tmp
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
COPY --from=binary /clustersec /usr/local/bin/clustersec
# A numeric non-root user: scratch has no /etc/passwd to name one.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["clustersec"]
CMD ["scan", "."]
