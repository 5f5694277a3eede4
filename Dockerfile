# kismet-ws container: a build stage compiles the TypeScript, the runtime stage holds only
# the compiled code and production dependencies, and runs as the unprivileged `node` user.
# Building needs the base image and the npm registry, nothing else (no BuildKit frontend
# image, no `RUN --mount`; plain `docker build` with the classic builder works too).
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

# Node 24, the current LTS (README, "Supported Node.js").
ARG NODE_IMAGE=node:24-bookworm-slim

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
# Liveness through node itself (the slim image has no curl/wget), at the address the server
# listens on whatever HOST says: 127.0.0.1 for the wildcard addresses (`::` is dual-stack on
# Linux), else HOST itself (in brackets when it is IPv6). /health stays open when API_TOKEN is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const h = process.env.HOST || '0.0.0.0'; const a = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? '[' + h + ']' : h; fetch('http://' + a + ':' + (process.env.PORT || 8001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and receives SIGTERM itself: the server tells clients, stops polling and
# exits 0, and gives up after 8 s (CLOSE_GRACE_MS), inside `docker stop`'s 10 s before
# SIGKILL. No shell wrapper, no npm.
CMD ["node", "dist/server.bundle.mjs"]
