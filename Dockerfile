# syntax=docker/dockerfile:1
#
# Guardian images: one multi-stage file for every app.
#
#   docker build --target runtime --build-arg APP=identity   -t guardian/identity .
#   docker build --target runtime --build-arg APP=biometrics -t guardian/biometrics .
#   docker build --target runtime --build-arg APP=notifier   -t guardian/notifier .
#   docker build --target runtime --build-arg APP=web        -t guardian/web .
#   docker build --target biometrics-gpu                     -t guardian/biometrics-gpu .
#
# Apps run their TypeScript directly through tsx (kept in the pruned production tree, see the
# deps stage): CMD is `node --import tsx apps/$APP/src/main.ts`.
# Needs BuildKit (default builder of Docker >= 23 and of `docker compose build`).

ARG NODE_IMAGE=node:20-bookworm-slim
# @tensorflow/tfjs-node-gpu 4.22 links libtensorflow 2.9 (CUDA 11.x, cuDNN 8; documented minimum
# CUDA 11.2 + cuDNN 8.1, host driver >= 450). Any CUDA 11.x runtime with cuDNN 8 satisfies the
# sonames it loads (libcudart.so.11.0, libcublas.so.11, libcudnn.so.8); 11.8 on Ubuntu 22.04 is the
# newest such image. `nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04` is the exact-match alternative.
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04
ARG TFJS_NODE_GPU_VERSION=4.22.0

# ---------------------------------------------------------------------------------------------
# base: Node 20 + the working directory shared by every later stage.
FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# ---------------------------------------------------------------------------------------------
# manifests: only package.json files + the lock file, with their directory structure, so the
# `npm ci` layer below is rebuilt only when dependencies change (not on every source edit).
FROM base AS manifests
COPY . /src
RUN mkdir -p /manifests \
 && cd /src \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \; \
 && cp package-lock.json /manifests/

# ---------------------------------------------------------------------------------------------
# deps-dev: the full dependency tree (dev tools included). Build tools are only a fallback for
# native modules (argon2, sharp) whose prebuilt binaries cannot be used.
FROM base AS deps-dev
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci

# ---------------------------------------------------------------------------------------------
# deps: production dependencies only. tsx must survive: the root package.json lists it in
# "dependencies" AND "devDependencies", and npm then treats it as dev-only, so the devDependencies
# entry is dropped (in this image only) before pruning. Fails the build if tsx is gone anyway.
FROM deps-dev AS deps
RUN npm pkg delete devDependencies.tsx \
 && npm prune --omit=dev \
 && node -e "require.resolve('tsx/package.json')"

# ---------------------------------------------------------------------------------------------
# build: runs the app's own `build` script when it has one (web: the Vite dashboard); the output
# is expected in apps/$APP/dist (created empty otherwise so the COPY below never fails).
FROM deps-dev AS build
ARG APP
COPY . .
RUN mkdir -p "apps/${APP}/dist" \
 && npm run build --workspace "apps/${APP}" --if-present

# ---------------------------------------------------------------------------------------------
# runtime: the image of one app, chosen with --build-arg APP=identity|biometrics|notifier|web.
FROM base AS runtime
ARG APP
RUN case "${APP}" in \
      identity|biometrics|notifier|web) ;; \
      *) echo "build arg APP must be identity|biometrics|notifier|web (got '${APP}')" >&2; exit 1 ;; \
    esac
ENV NODE_ENV=production \
    APP=${APP} \
    GRPC_HOST=0.0.0.0
# biometrics decodes liveness clips (WebM/MP4) with ffmpeg (BIOMETRICS_FFMPEG, docs/liveness.md).
RUN if [ "${APP}" = biometrics ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ffmpeg \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# node_modules (root and any per-workspace ones) + every workspace package.json, pruned.
COPY --from=deps /app/ ./
COPY tsconfig.base.json tsconfig.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps/${APP} ./apps/${APP}
COPY --from=build /app/apps/${APP}/dist ./apps/${APP}/dist
COPY scripts/grpc-health-probe.mjs ./scripts/grpc-health-probe.mjs
# Files stay owned by root (read-only for the app); uid/gid 1000 is the image's `node` user.
# Only /app/.data is writable: development keys land there when none are configured (compose
# mounts a volume on it). On Kubernetes keys come from the Secret; the root filesystem is read-only.
RUN test -f "apps/${APP}/src/main.ts" \
 && mkdir -p /app/.data \
 && chown 1000:1000 /app/.data
# Numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 50051 50052 50053 9451 9452 9453 8080
STOPSIGNAL SIGTERM
# gRPC apps: grpc.health.v1 on their gRPC port; web: HTTP GET /healthz on 8080.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD case "$APP" in \
        web) exec node scripts/grpc-health-probe.mjs "http://127.0.0.1:8080/healthz" ;; \
        identity) exec node scripts/grpc-health-probe.mjs "127.0.0.1:${GRPC_PORT:-50051}" ;; \
        biometrics) exec node scripts/grpc-health-probe.mjs "127.0.0.1:${GRPC_PORT:-50052}" ;; \
        notifier) exec node scripts/grpc-health-probe.mjs "127.0.0.1:${GRPC_PORT:-50053}" ;; \
      esac
# exec: node becomes PID 1 and receives SIGTERM itself (graceful shutdown in the app).
CMD ["sh", "-c", "exec node --import tsx \"apps/${APP}/src/main.ts\""]

# ---------------------------------------------------------------------------------------------
# deps-gpu: production dependencies + @tensorflow/tfjs-node-gpu, installed on the same OS as the
# GPU runtime (Ubuntu from the CUDA image) so anything compiled from source matches its glibc.
# The tfjs-node-gpu install script downloads libtensorflow (GPU build) at build time.
FROM ${CUDA_IMAGE} AS deps-gpu
ARG TFJS_NODE_GPU_VERSION
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=base /usr/local/bin/node /usr/local/bin/node
COPY --from=base /usr/local/include/node /usr/local/include/node
COPY --from=base /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci \
 && npm pkg delete devDependencies.tsx \
 && npm prune --omit=dev \
 && npm install --omit=dev --no-save "@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}" \
 && node -e "require.resolve('tsx/package.json'); require.resolve('@tensorflow/tfjs-node-gpu')"

# ---------------------------------------------------------------------------------------------
# biometrics-gpu: biometrics on the CUDA runtime image with the TensorFlow GPU backend.
# Run with the NVIDIA container toolkit (`--gpus all`, compose device reservation, k8s
# nvidia.com/gpu limit).
FROM ${CUDA_IMAGE} AS biometrics-gpu
COPY --from=base /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --create-home --shell /usr/sbin/nologin node \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    APP=biometrics \
    GRPC_HOST=0.0.0.0 \
    BIOMETRICS_INFERENCE_BACKEND=gpu \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    TF_CPP_MIN_LOG_LEVEL=1 \
    CUDA_CACHE_PATH=/tmp/cuda-cache
COPY --from=deps-gpu /app/ ./
COPY tsconfig.base.json tsconfig.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps/biometrics ./apps/biometrics
COPY scripts/grpc-health-probe.mjs ./scripts/grpc-health-probe.mjs
RUN test -f apps/biometrics/src/main.ts \
 && mkdir -p /app/.data \
 && chown 1000:1000 /app/.data
USER 1000:1000
EXPOSE 50052 9452
STOPSIGNAL SIGTERM
# Longer start period: first start may JIT-compile CUDA kernels for GPUs newer than the build.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD ["sh", "-c", "exec node scripts/grpc-health-probe.mjs \"127.0.0.1:${GRPC_PORT:-50052}\""]
CMD ["node", "--import", "tsx", "apps/biometrics/src/main.ts"]
