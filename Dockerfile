# syntax=docker/dockerfile:1
# privacy-bot: multi-stage build. Stage 1 compiles TypeScript; stage 2 runs the compiled bot as a
# non-root user with production dependencies only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and @node-rs/jieba ship prebuilt binaries; the toolchain is a fallback for other CPUs.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# A capped heap keeps GC pauses short and RSS flat (measured by `npm run bench:load`, docs/RELIABILITY.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=256 \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    KNOWLEDGE_DIR=/app/knowledge
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY knowledge ./knowledge
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["npm", "start"]
