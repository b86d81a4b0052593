# syntax=docker/dockerfile:1.7
# The social service: chat (WebSocket), follows, notifications, profiles and search.
# Build from the repository root:  docker build -f docker/social.Dockerfile -t vilokanam/social .
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
# npm installs the other workspaces' production dependencies too, mediasoup among them; no
# worker is needed here, so its postinstall is told one exists and skips the build. sharp's
# prebuilt glibc binaries (@img/sharp-linux-x64, @img/sharp-libvips-linux-x64) come from npm.
RUN MEDIASOUP_WORKER_BIN=/nonexistent \
    npm ci --omit=dev --workspace services/social --no-audit --no-fund --loglevel=error \
 && mkdir -p services/social/node_modules

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/services/social/node_modules services/social/node_modules
COPY package.json ./
COPY services/social/package.json services/social/
COPY services/settlement/package.json services/settlement/
COPY services/contracts/package.json services/contracts/
COPY chain/package.json chain/
COPY --chown=10001:10001 services/contracts/src services/contracts/src
COPY --chown=10001:10001 services/social/src services/social/src
COPY services/social/migrations services/social/migrations
# Social uses settlement's database layer (which applies settlement's migrations) and its tips,
# whose package entry loads the chain client.
COPY --chown=10001:10001 services/settlement/src services/settlement/src
COPY services/settlement/migrations services/settlement/migrations
COPY --chown=10001:10001 chain/src chain/src
ENV NODE_ENV=production VILO_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8090
CMD ["node", "services/social/src/main.ts"]
