# Shoebox container image: the binary (templates and static files embedded) and the media tools
# it calls (ffmpeg, ffprobe, heif-dec) on Debian 13 slim.
#
#   docker build -t shoebox .
#   podman build --format docker -t shoebox .     # --format docker keeps the HEALTHCHECK
#
# Works with docker (BuildKit) and with podman/buildah 4.3: no `COPY --link`, no heredocs.

# ---------------------------------------------------------------------------------------------
FROM rust:1-slim-trixie AS build

# Native build dependencies. Packages the crates need at build time go on this one line
# (e.g. cmake nasm for image codecs); the runtime stage below stays untouched.
ARG BUILD_PACKAGES="ca-certificates"
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ${BUILD_PACKAGES} \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_PROFILE_RELEASE_DEBUG=0

# 1. Dependencies only: a dummy crate with the real manifest. This layer is reused as long as
#    Cargo.toml and Cargo.lock do not change; the cache mounts keep the registry and compiled
#    dependencies across builds even when they do. Targets declared explicitly in Cargo.toml
#    ([[bin]], [[bench]] with a path) need a stub file here too.
COPY Cargo.toml Cargo.lock ./
RUN --mount=type=cache,id=shoebox-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=shoebox-target,target=/src/target,sharing=locked \
    mkdir -p src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin shoebox \
 && rm -rf src

# 2. The application itself. The binary is copied out of the cache mount, which is not part
#    of the image. A new build input (build.rs, another folder) needs a COPY line here and a
#    line in .dockerignore, which lets in only what is listed.
COPY migrations migrations
COPY templates templates
COPY static static
COPY src src
RUN --mount=type=cache,id=shoebox-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=shoebox-target,target=/src/target,sharing=locked \
    touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin shoebox \
 && install -m 0755 target/release/shoebox /usr/local/bin/shoebox \
 && /usr/local/bin/shoebox --version

# ---------------------------------------------------------------------------------------------
# Debian 13 (trixie), not 12: iOS 17/18 HDR HEICs (gain maps, newer HEVC profiles) need
# libheif >= 1.18, and bookworm has 1.15; trixie has libheif 1.19 or later (with heif-dec) and
# ffmpeg 7.1.
FROM debian:trixie-slim

# The media tools Shoebox calls: ffmpeg/ffprobe for videos, heif-dec (libheif-examples) for HEIC
# and AVIF. Debian 13 ships libheif's decoders as separate plugins: without libde265 heif-dec
# cannot read HEIC, without dav1d not AVIF (named here so that no dependency change drops them).
# --no-install-recommends keeps out what ffmpeg merely recommends. Even so Debian's ffmpeg drags
# in Mesa's GPU drivers through libgbm/libglx (mesa-libgallium with libllvm19 and libz3: about 200 MB,
# over 40 % of the tools' cost), which only a GL/DRI device would ever dlopen and a container without
# /dev/dri never does; no binary links them, so they are purged. apt in a derived image asks for
# `apt --fix-broken install` first, which brings them back. Sizes: docs/deploy.md.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ffmpeg libheif-examples libheif-plugin-libde265 libheif-plugin-dav1d \
 && dpkg --purge --force-depends mesa-libgallium libllvm19 libz3-4 libglx-mesa0 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

# The CA certificates come as the bundle file from the build stage: the ca-certificates package
# would pull in openssl (about 9 MB) that Shoebox does not use (its TLS is rustls).
RUN groupadd --gid 1000 shoebox \
 && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /data --shell /usr/sbin/nologin shoebox \
 && mkdir -p /data/storage /data/originals /data/config \
 && chown -R 1000:1000 /data
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/shoebox /usr/local/bin/shoebox

# Paths inside the container; mount volumes there. Being SHOEBOX_ variables they win over
# PHOTOPRISM_STORAGE_PATH / PHOTOPRISM_ORIGINALS_PATH: change them with SHOEBOX_ if at all.
# The server listens on the built-in default 0.0.0.0:2342. A TOML file is read from
# /data/config/shoebox.toml when present (the working directory is /data).
ENV SHOEBOX_STORAGE_PATH=/data/storage \
    SHOEBOX_ORIGINALS_PATH=/data/originals \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
VOLUME ["/data/storage", "/data/originals"]
WORKDIR /data
USER 1000:1000
EXPOSE 2342

HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["shoebox", "healthcheck"]

# The binary is PID 1 and handles SIGTERM itself: requests in flight finish, then it exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["shoebox"]
CMD ["serve"]
