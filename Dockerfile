# tcp_health_exporter — multi-stage image on Debian 12.
#   podman build -t tcp_health_exporter .        (or docker build)
#   podman run --rm --network host tcp_health_exporter --listen-ports 1202,3720,1720
# --network host is required: the exporter reports the sockets of the network namespace
# it runs in, and that must be the host's. It needs no capabilities for that.

# BASE_IMAGE: the tests build on a debootstrapped bookworm of their own
# (tests/container/base-image.sh) because no registry is reachable from them.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make pkg-config libmnl-dev libmicrohttpd-dev zlib1g-dev libyaml-dev \
      libgnutls28-dev libcrypt-dev libjansson-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
# Labelled so that `make clean-images` can remove this stage's image, left untagged by
# multi-stage builds.
LABEL tcp_health_exporter.stage=build
WORKDIR /src
COPY VERSION Makefile ./
COPY lib lib
COPY exporter exporter
COPY collectors collectors
COPY dashboards/prometheus/alerts.rules.yml dashboards/prometheus/alerts.rules.yml
ARG REVISION=unknown
RUN make build/tcp_health_exporter REVISION="$REVISION" \
 && strip build/tcp_health_exporter

FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmnl0 libmicrohttpd12 zlib1g libyaml-0-2 libgnutls30 libcrypt1 libjansson4 libsystemd0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
COPY --from=build /src/build/tcp_health_exporter /usr/local/bin/tcp_health_exporter
ARG BASE_IMAGE
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tcp_health_exporter" \
      org.opencontainers.image.description="Prometheus exporter of per-port TCP connection health (Linux inet_diag)" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.base.name="$BASE_IMAGE"
# nobody:nogroup — reading the sockets of one's own network namespace needs no privilege.
USER 65534:65534
EXPOSE 9978
ENTRYPOINT ["/usr/local/bin/tcp_health_exporter"]
