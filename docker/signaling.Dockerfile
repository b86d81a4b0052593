# syntax=docker/dockerfile:1.7
# Signaling (REST + WebSocket) serving the web app from the same origin.
# Build from the repository root:  docker build -f docker/signaling.Dockerfile -t vilokanam/signaling .
# The base is an argument so a machine that cannot pull Docker Hub can name a local stand-in
# (scripts/images/base.sh); everyone else builds unchanged.
ARG NODE_IMAGE=node:24-bookworm-slim
FROM ${NODE_IMAGE} AS manifests
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

# The SvelteKit build needs the web workspace's dev dependencies (vite, svelte).
FROM manifests AS web
RUN MEDIASOUP_WORKER_BIN=/nonexistent \
    npm ci --workspace web --workspace services/contracts --no-audit --no-fund --loglevel=error
COPY services/contracts/src services/contracts/src
COPY web/ web/
RUN cd web && npx svelte-kit sync && npx vite build --logLevel warn

FROM manifests AS deps
RUN MEDIASOUP_WORKER_BIN=/nonexistent \
    npm ci --omit=dev --workspace services/signaling --no-audit --no-fund --loglevel=error \
 && mkdir -p services/signaling/node_modules sfu-node/node_modules

FROM ${NODE_IMAGE}
# ffmpeg and ffprobe make VODs and clips from recordings (thumbnails, previews, stream-copy cuts).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/services/signaling/node_modules services/signaling/node_modules
COPY --from=deps /app/sfu-node/node_modules sfu-node/node_modules
COPY package.json ./
COPY sfu-node/package.json sfu-node/
COPY services/signaling/package.json services/signaling/
COPY services/settlement/package.json services/settlement/
COPY services/social/package.json services/social/
COPY chain/package.json chain/
COPY operator/package.json operator/
COPY services/contracts/package.json services/contracts/
COPY --chown=10001:10001 services/contracts/src services/contracts/src
COPY --chown=10001:10001 sfu-node/src sfu-node/src
COPY --chown=10001:10001 services/signaling/src services/signaling/src
COPY services/signaling/migrations services/signaling/migrations
# Signaling shares settlement's database layer and ledger schema (settlement's entry loads the
# chain client), mounts the social service's routes and chat in-process, and uses the
# operator's LiveStream API and route contract (operator/src/api only needs zod and client-node).
COPY --chown=10001:10001 services/settlement/src services/settlement/src
COPY services/settlement/migrations services/settlement/migrations
COPY --chown=10001:10001 chain/src chain/src
COPY --chown=10001:10001 services/social/src services/social/src
COPY services/social/migrations services/social/migrations
COPY --chown=10001:10001 operator/src/api operator/src/api
COPY --chown=10001:10001 operator/src/kube/errors.ts operator/src/kube/errors.ts
COPY --from=web /app/web/build web/build
ENV NODE_ENV=production VILO_HOST=0.0.0.0 VILO_WEB_DIR=/app/web/build
USER 10001:10001
EXPOSE 8080
CMD ["node", "services/signaling/src/main.ts"]
