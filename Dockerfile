# syntax=docker/dockerfile:1
# The one acme6 image: controller, node agent and http-01 solver are the same program, chosen by the
# first argument (`acme6 controller`, `acme6 agent`, `acme6 solver ...`).
#   docker build -t ghcr.io/acme6/acme6:0.1.0 .
# Without Docker, `make image` builds the same image (hack/image/build.sh, values in hack/image/image.env):
# same Node release, Debian suite and packages, user, working directory and entrypoint; the unit test
# test/unit/image-in-step.test.ts fails when the two disagree. The manifests in deploy/ expect this image.
# Node: the version package-lock.json pins for the npm package `node`; Debian: image.env's DEBIAN_SUITE.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# Build: all dependencies (the TypeScript compiler and rolldown are devDependencies), compile src/ to
# dist/src, then bundle it with its production dependencies into dist/bundle (as make build does): the
# image needs no node_modules, and an idle controller far less memory.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY hack/image/bundle.config.ts ./hack/image/
COPY src ./src
RUN ./node_modules/.bin/tsc -p tsconfig.build.json \
  && ./node_modules/.bin/rolldown -c hack/image/bundle.config.ts --logLevel warn

FROM ${NODE_IMAGE} AS runtime
# image.env's DEBIAN_PACKAGES: the agent drives the host's netfilter with ip6tables (nft and legacy
# variants: it matches the backend kubelet uses), clears stale flows with conntrack, and nft lets one
# inspect the ruleset from its container. The controller and solver need nothing beyond Node.
RUN apt-get update \
  && apt-get install -y --no-install-recommends iptables nftables conntrack libstdc++6 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# package.json is read for `acme6 version`, and its "type": "module" makes Node load the bundle as ES modules.
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/bundle ./dist/bundle
RUN chmod 0755 dist/bundle/acme6.js && ln -s /app/dist/bundle/acme6.js /usr/local/bin/acme6
ENV NODE_ENV=production
# The same labels as make image; pass the commit: docker build --build-arg REVISION=$(git rev-parse HEAD) .
ARG REVISION=unknown
LABEL org.opencontainers.image.version="0.1.0" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.source="https://github.com/acme6/acme6" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.title="acme6"
# Non-root by default (the controller and solver); the agent's DaemonSet sets runAsUser: 0 because
# Kubernetes grants its NET_ADMIN capability to root only.
USER 65532:65532
ENTRYPOINT ["acme6"]
