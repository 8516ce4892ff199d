# One image per app: docker build -f infra/docker/app.Dockerfile --build-arg APP=user-command .
# Used by docker-compose.yml; the local, Docker-free path is `npm start` (tools/bootstrap.sh).
FROM node:24-slim AS build
WORKDIR /repo
COPY package.json package-lock.json ./
COPY apps apps
COPY libs libs
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
RUN npx prisma generate && node tools/build-app.mjs "$APP"

FROM node:24-slim
ARG APP
ENV NODE_ENV=production APP=${APP}
WORKDIR /repo
COPY --from=build /repo /repo
# The WAL volume: owned by the app user and private (a new named volume copies this owner and mode).
RUN mkdir -p /wal && chown node:node /wal && chmod 700 /wal
USER node
CMD ["sh", "-c", "exec node --enable-source-maps --import ./dist/apps/$APP/register.js ./dist/apps/$APP/main.js"]
