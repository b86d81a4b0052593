# syntax=docker/dockerfile:1.7
# The LiveStream operator.
# Build from the repository root:  docker build -f docker/operator.Dockerfile -t vilokanam/operator .
# The base is an argument so a machine that cannot pull Docker Hub can name a local stand-in
# (scripts/images/base.sh); everyone else builds unchanged.
ARG NODE_IMAGE=node:24-bookworm-slim
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
# mediasoup comes along as sfu-node's dependency (the placement code lives there); the operator
# never starts a worker, so its postinstall is told a worker exists and skips the build.
RUN MEDIASOUP_WORKER_BIN=/nonexistent \
    npm ci --omit=dev --workspace operator --no-audit --no-fund --loglevel=error \
 && mkdir -p operator/node_modules sfu-node/node_modules

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/operator/node_modules operator/node_modules
COPY --from=deps /app/sfu-node/node_modules sfu-node/node_modules
COPY package.json ./
COPY sfu-node/package.json sfu-node/
COPY operator/package.json operator/
COPY services/contracts/package.json services/contracts/
COPY --chown=10001:10001 services/contracts/src services/contracts/src
COPY --chown=10001:10001 sfu-node/src sfu-node/src
COPY --chown=10001:10001 operator/src operator/src
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 9090
CMD ["node", "operator/src/main.ts"]
