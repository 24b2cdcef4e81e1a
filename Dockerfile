# syntax=docker/dockerfile:1
# MyQA: one binary, `myqa`. Multi-stage: build with the Rust toolchain, run on
# a slim Debian with only CA certificates, as a non-root user.
#
#   docker build -t myqa .
#   docker run -p 8080:8080 -e MYQA_BIND=0.0.0.0:8080 -v myqa-data:/var/lib/myqa myqa serve --bootstrap
#
# Scale-out layouts (API and worker roles, PostgreSQL, S3): docs/deploy.md.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY standards standards
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p myqa \
 && cp target/release/myqa /usr/local/bin/myqa

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/myqa --create-home myqa
COPY --from=build /usr/local/bin/myqa /usr/local/bin/myqa
USER myqa
WORKDIR /var/lib/myqa
ENV MYQA_DATA_DIR=/var/lib/myqa \
    MYQA_BIND=0.0.0.0:8080 \
    MYQA_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/var/lib/myqa"]
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["myqa", "probe", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["myqa"]
CMD ["serve"]
