# driftwatch: control API + engine in one image. PostgreSQL and Redis run as their own
# services (docker-compose.yml); without DATABASE_URL the image would start embedded PostgreSQL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY schema.sql ./
COPY bin ./bin
COPY src ./src
COPY engine ./engine
COPY workers ./workers
COPY bench ./bench
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 DRIFTWATCH_DATA_DIR=/data
COPY --from=build /app /app
# The data directory holds the engine's on-disk spool (and embedded PostgreSQL without DATABASE_URL):
# writable by the node user, a volume in docker-compose.yml.
RUN mkdir -p /data && chown node:node /data
EXPOSE 8080 8090 8000
USER node
CMD ["node", "dist/bin/driftwatch.js", "up"]
