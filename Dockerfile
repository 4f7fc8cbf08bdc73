# The app's production image: `docker build -t passport-session-starter .` (or docker compose).
# Runs `node dist/app/server.js` as the unprivileged `node` user; needs NODE_ENV=production,
# DATABASE_URL and SESSION_SECRET at run time (README, "Deploying"; docs/docker.md).

# Build: every dependency (TypeScript is a dev dependency), then tsc -> dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY app ./app
RUN npm run build

# Production dependencies only (argon2 ships prebuilt binaries: no compiler needed).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The image: the compiled app and what it reads beside it (package.json marks the project root).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY views ./views
COPY public ./public
COPY locales ./locales
# `npm run users -- ...` (the admin command line) runs the built one here.
COPY scripts/users.mjs ./scripts/users.mjs
# Files stay root-owned and read-only to the app: it writes nothing in production.
USER node
EXPOSE 3000
# Liveness: /healthz answers 200 while the process is alive (slim has no curl: node's fetch).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/app/server.js"]
