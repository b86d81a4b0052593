# syntax=docker/dockerfile:1.7
# Settlement: folds ticks into the ledger, credits deposits, pays creators and reconciles the chain.
# Build from the repository root:  docker build -f docker/settlement.Dockerfile -t vilokanam/settlement .
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
# Production dependencies only: the dev chain (chopsticks) is a development dependency of chain.
RUN npm ci --omit=dev --workspace services/settlement --no-audit --no-fund --loglevel=error \
 && mkdir -p services/settlement/node_modules chain/node_modules

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/services/settlement/node_modules services/settlement/node_modules
COPY --from=deps /app/chain/node_modules chain/node_modules
COPY package.json ./
COPY services/settlement/package.json services/settlement/
COPY services/contracts/package.json services/contracts/
COPY chain/package.json chain/
COPY --chown=10001:10001 services/contracts/src services/contracts/src
COPY --chown=10001:10001 services/settlement/src services/settlement/src
COPY services/settlement/migrations services/settlement/migrations
COPY --chown=10001:10001 chain/src chain/src
ENV NODE_ENV=production VILO_SETTLEMENT_METRICS_HOST=0.0.0.0 VILO_SETTLEMENT_METRICS_PORT=9093
USER 10001:10001
EXPOSE 9093
CMD ["node", "services/settlement/src/main.ts"]
