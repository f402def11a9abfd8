# One image for both processes: the gateway by default, the worker with
# `command: ["node", "scripts/start.ts", "worker"]`. scripts/start.ts bundles the process with esbuild
# (into .build/ beside its source, hence the folders the node user may write), runs it with the flags
# and environment of scripts/node-flags.ts, and passes signals on.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps/gateway/package.json apps/gateway/
COPY apps/worker/package.json apps/worker/
COPY apps/web/package.json apps/web/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/lock/package.json packages/lock/
COPY packages/metrics/package.json packages/metrics/
COPY packages/queue/package.json packages/queue/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY apps apps
COPY packages packages
COPY migrations migrations
COPY scripts scripts
RUN mkdir -p apps/gateway/src/.build apps/worker/src/.build && chown node apps/gateway/src/.build apps/worker/src/.build
USER node
EXPOSE 3000
CMD ["node", "scripts/start.ts", "gateway"]
