# The deployer's image: one image, three roles chosen by the command (server, worker, migrate).
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
COPY migrations ./migrations
COPY src ./src
USER node
ENV DEPLOYER_REPO_CACHE_DIR=/tmp/deployer-repos
ENTRYPOINT ["bin/deployer"]
CMD ["server"]
