# One image per app: docker build -f infra/docker/app.Dockerfile --build-arg APP=user-command .
# (and --target migrate for the migrations job). Used by docker-compose.yml; the local, Docker-free
# path is `npm start` (tools/bootstrap.sh). .dockerignore keeps the host's node_modules, .data,
# dist and .env out of the build context.

# ---- build: every dependency, the Prisma client, the app bundled by esbuild (tools/build-app.mjs)
FROM node:24-slim AS build
WORKDIR /repo
# The workspaces' package.json files (apps/*, libs/*) are part of what `npm ci` installs.
COPY package.json package-lock.json ./
COPY apps apps
COPY libs libs
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx prisma generate
ARG APP
RUN test -n "$APP" || { echo 'build with --build-arg APP=<auth-gateway|user-command|wal-relay|user-consumer>' >&2; exit 1; }; \
    node tools/build-app.mjs "$APP"

# ---- migrate: tools/migrate.ts needs Prisma's schema engine and tsx, i.e. the dev tooling, so the
# one-shot migrations job runs from the build stage; the long-running app images below do not.
FROM build AS migrate
ENV NODE_ENV=production
USER node
CMD ["node", "--import", "tsx", "tools/migrate.ts"]

# ---- production dependencies only (no TypeScript, jest, eslint, esbuild, Prisma CLI)
FROM node:24-slim AS prod-deps
WORKDIR /repo
COPY package.json package-lock.json ./
COPY apps apps
COPY libs libs
RUN npm ci --omit=dev --no-audit --no-fund

# ---- the app: its bundle (with its worker files), production node_modules, start and health scripts
FROM node:24-slim AS app
ARG APP
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=prod-deps /repo/package.json ./
COPY --from=prod-deps /repo/node_modules node_modules
COPY --from=build /repo/dist/apps/${APP} dist/apps/${APP}
COPY infra/docker/start.sh infra/docker/healthcheck.cjs docker/
# The WAL volume: owned by the app user and private (a new named volume copies this owner and mode).
RUN mkdir -p /wal && chown node:node /wal && chmod 700 /wal
USER node
# /readyz: `healthy` means ready to serve, which is what compose's depends_on waits for.
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=5 CMD ["node", "/app/docker/healthcheck.cjs"]
CMD ["sh", "/app/docker/start.sh"]
