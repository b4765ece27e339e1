# One binary, two images. Build with standard Docker (BuildKit, the default since Docker 23):
#   docker build --target backend  -t todo-backend:local .
#   docker build --target frontend -t todo-frontend:local .
# The runtime stages only read /out from the builder, so a host-built static binary can stand in for
# the whole builder stage (no registry needed):
#   podman build --pull=never --build-context builder=DIR --target backend .
# where DIR holds out/todo and etc/ssl/certs/ca-certificates.crt.

# Any current stable toolchain; pin (e.g. 1.95) for reproducible builds.
ARG RUST_VERSION=1

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the crate registry and compiled dependencies between builds, so a source change
# recompiles only our crates. The `dist` profile is release with whole-program LTO (a smaller binary).
# glibc with crt-static gives a binary that runs FROM scratch; glibc 2.36
# has its `files` and `dns` name services built in, so Service names resolve without NSS libraries.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --profile dist --locked -p todo --target "$(uname -m)-unknown-linux-gnu" \
 && mkdir -p /out \
 && cp "target/$(uname -m)-unknown-linux-gnu/dist/todo" /out/todo

# No shell, no package manager: the binary, CA roots, and the users/name-service files it reads.
FROM scratch AS runtime
ARG VERSION=0.1.0
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY deploy/container/passwd deploy/container/group deploy/container/nsswitch.conf /etc/
COPY --from=builder /out/todo /usr/local/bin/todo
ENV LOG_FORMAT=json \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.vendor="todo"
# Numeric so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/todo"]

# REST API; the same image runs `mcp` (port 8001) and `migrate`.
FROM runtime AS backend
LABEL org.opencontainers.image.title="todo-backend" \
      org.opencontainers.image.description="todo REST API, MCP server and migrations (roles backend, mcp, migrate)"
ENV HOST=0.0.0.0
EXPOSE 8000 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/todo", "healthcheck", "http://127.0.0.1:8000/health"]
CMD ["backend"]

# Web UI; reaches the backend at BACKEND_URL, read at run time.
FROM runtime AS frontend
LABEL org.opencontainers.image.title="todo-frontend" \
      org.opencontainers.image.description="todo web UI (role frontend)"
ENV HOST=0.0.0.0
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/todo", "healthcheck", "http://127.0.0.1:3000/api/health"]
CMD ["frontend"]
