# syntax=docker/dockerfile:1
# kismet-ws container: a build stage compiles the TypeScript, the runtime stage holds only
# the compiled code and production dependencies, and runs as the unprivileged `node` user.
#
#   docker build -t kismet-ws .
#   docker run --rm -p 8001:8001 -e KISMET_API_URL=http://<kismet-host>:2501 -e KISMET_API_KEY=<key> kismet-ws
#
# Every setting is an environment variable (README, "Configuration"); the defaults come
# from the app's own configuration, so only what differs from them needs setting.
#
# No Docker engine at hand? `npm run check:runtime` (scripts/check-runtime-stage.sh)
# reproduces the runtime stage on the host: it reads the runtime stage's COPY, CMD and
# HEALTHCHECK lines from this file, so keep those in the simple forms used here
# (exec-form JSON arrays; COPY sources relative to the context or to /app of `build`).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, TypeScript -> dist/ ------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# .npmrc (ignore-scripts=true) and the lockfile with its `overrides` must be present for npm ci.
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json app.ts server.ts ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY dashboard ./dashboard
COPY scripts/bundle.mjs scripts/build-dashboard.mjs ./scripts/
RUN npm run build

# ---- runtime: production dependencies and dist/ only (the dashboard is dist/dashboard) -
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
ENV HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The node image's unprivileged user; the app writes nothing to disk.
USER node
EXPOSE 8001
# Liveness through node itself (the slim image has no curl/wget). /health stays open when
# API_TOKEN is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and receives SIGTERM itself: the server tells clients, stops polling and
# exits 0 within 10 s (close-with-grace). No shell wrapper, no npm.
CMD ["node", "dist/server.bundle.mjs"]
