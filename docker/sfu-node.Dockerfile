# syntax=docker/dockerfile:1.7
# sfu-node: mediasoup workers behind the authenticated control channel.
# Build from the repository root:  docker build -f docker/sfu-node.Dockerfile -t vilokanam/sfu-node .

# The worker is built from the mediasoup npm tarball against Debian's libraries, exactly as on a
# developer machine (scripts/mediasoup-worker/build.sh): only the npm registry and Debian's
# archive are used. ~10 minutes on 2 cores; BuildKit's cache mount keeps meson and apt lists.
# The base is an argument so a machine that cannot pull Docker Hub can name a local stand-in
# (scripts/images/base.sh); everyone else builds unchanged.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG BUILD_IMAGE=node:24-bookworm
# The stage (or an image) holding /mediasoup-worker. A machine that already built the worker from
# the same sources can name an image with that binary and skip the ~10-minute build.
ARG WORKER_STAGE=worker-build
FROM ${BUILD_IMAGE} AS worker-build
WORKDIR /src
COPY sfu-node/package.json sfu-node/package.json
COPY scripts/apt-private.sh scripts/apt-private.sh
COPY scripts/mediasoup-worker/ scripts/mediasoup-worker/
ENV VILO_CACHE=/cache
RUN --mount=type=cache,target=/cache/apt --mount=type=cache,target=/cache/meson \
    bash scripts/mediasoup-worker/build.sh > /tmp/worker-path \
 && cp "$(cat /tmp/worker-path)" /mediasoup-worker

FROM ${WORKER_STAGE} AS worker

# Production dependencies of the sfu-node workspace only. MEDIASOUP_WORKER_BIN makes mediasoup's
# postinstall skip its own (network) worker build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY sfu-node/package.json sfu-node/
COPY services/signaling/package.json services/signaling/
COPY services/settlement/package.json services/settlement/
COPY services/social/package.json services/social/
COPY services/testkit/package.json services/testkit/
COPY web/package.json web/
COPY chain/package.json chain/
COPY operator/package.json operator/
COPY services/contracts/package.json services/contracts/
RUN MEDIASOUP_WORKER_BIN=/usr/local/bin/mediasoup-worker \
    npm ci --omit=dev --workspace sfu-node --no-audit --no-fund --loglevel=error \
 && mkdir -p sfu-node/node_modules

FROM ${NODE_IMAGE}
# The worker's runtime libraries (ldd): libuv, OpenSSL 3, abseil, libstdc++; ffmpeg for the
# recorder, which remuxes recorded streams on the origin (docs/recording.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libuv1 libssl3 libabsl20220623 libstdc++6 ca-certificates ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=worker /mediasoup-worker /usr/local/bin/mediasoup-worker
# Fails the build if a runtime library is missing from the list above.
RUN ! ldd /usr/local/bin/mediasoup-worker | grep 'not found'
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/sfu-node/node_modules sfu-node/node_modules
COPY package.json ./
COPY sfu-node/package.json sfu-node/
COPY services/contracts/package.json services/contracts/
COPY --chown=10001:10001 services/contracts/src services/contracts/src
COPY --chown=10001:10001 sfu-node/src sfu-node/src
ENV NODE_ENV=production MEDIASOUP_WORKER_BIN=/usr/local/bin/mediasoup-worker
USER 10001:10001
# Media (UDP/TCP, VILO_SFU_RTC_MIN_PORT..MAX) and control (VILO_SFU_CONTROL_PORT) on the host network.
EXPOSE 7070
CMD ["node", "sfu-node/src/main.ts"]
