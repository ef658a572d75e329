#!/usr/bin/env bash
# docker/offline/build-base-images.sh — the base images of the compose deployment, built on this
# machine without Docker Hub (an air-gapped lab network, or our CI, where no `FROM` image can be
# pulled). Needs root (debootstrap), a running Docker engine, debootstrap, the machine's Debian
# apt mirror, Node.js, and Java 17 + Maven for the Kafka jars (scripts/kafka.sh fetches them from
# Maven Central once).
#
# Usage: sudo bash docker/offline/build-base-images.sh [--env-file FILE] [--rebuild]
#
# Builds (each skipped when the image exists, unless --rebuild):
#   <prefix>/debian:bookworm      debootstrap --variant=minbase from the apt mirror this machine uses
#   <prefix>/node:<major>-slim    that Debian + this machine's Node.js (binary, npm, corepack and the
#                                 headers native modules build against), its user `node` (uid 1000),
#                                 and this machine's extra CA certificates for Node (NODE_EXTRA_CA_CERTS)
#   <prefix>/kafka:<tag>          that Debian + Debian's openjdk-17-jre-headless + the Apache Kafka
#                                 jars, configured from KAFKA_* variables the way apache/kafka is
# Then prints the two lines that make compose use them (--env-file writes them into FILE, e.g. .env):
#   NODE_IMAGE=<prefix>/node:20-slim
#   KAFKA_IMAGE=<prefix>/kafka
#
# Environment: OFFLINE_IMAGE_PREFIX (evcharging-offline), DEBIAN_MIRROR (default: read from
# /etc/apt/sources.list.d/ and /etc/apt/sources.list), DEBIAN_SECURITY_MIRROR (same), DEBIAN_SUITE
# (bookworm), KAFKA_IMAGE_TAG (default: the one docker-compose.yml names), EXTRA_CA_DIR
# (/usr/local/share/ca-certificates: every *.crt there goes into the Node image),
# DOCKER_BUILDKIT (0 unless set: the classic builder works with every engine).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/docker/offline"
PREFIX="${OFFLINE_IMAGE_PREFIX:-evcharging-offline}"
SUITE="${DEBIAN_SUITE:-bookworm}"
EXTRA_CA_DIR="${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

ENV_FILE=""
REBUILD=0
while (($# > 0)); do
  case "$1" in
    --env-file) ENV_FILE="${2:?--env-file needs a file}"; shift ;;
    --rebuild) REBUILD=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-base-images.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build-base-images.sh: error: $*" >&2; exit 1; }
say() { echo "build-base-images.sh: $*" >&2; }
have_image() { ((REBUILD == 0)) && docker image inspect "$1" >/dev/null 2>&1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
took() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }

docker info >/dev/null 2>&1 || die "no Docker engine answers ('docker info' fails)"

# The URI of the first apt source (one-line or deb822 format) whose suites include $1.
apt_source_for() {
  local suite="$1" file
  shopt -s nullglob
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -r "$file" ]] || continue
    if [[ "$file" == *.sources ]]; then
      awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" }
        {
          uri = ""; hit = 0; deb = 0
          for (i = 1; i <= NF; i++) {
            n = split($i, w, /[ \t]+/)
            if (w[1] == "Types:") for (j = 2; j <= n; j++) if (w[j] == "deb") deb = 1
            if (w[1] == "URIs:") uri = w[2]
            if (w[1] == "Suites:") for (j = 2; j <= n; j++) if (w[j] == suite) hit = 1
          }
          if (deb && hit && uri != "") { print uri; exit }
        }' "$file"
    else
      awk -v suite="$suite" '$1 == "deb" {
          n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
          if ($(n + 1) == suite) { print $n; exit }
        }' "$file"
    fi
  done | head -1
  shopt -u nullglob
}

# ---------------------------------------------------------------------------------- Debian
DEBIAN_IMAGE="$PREFIX/debian:$SUITE"
build_debian() {
  if have_image "$DEBIAN_IMAGE"; then say "$DEBIAN_IMAGE exists"; return; fi
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root: run this script as root (sudo)"
  command -v debootstrap >/dev/null || die "debootstrap not found (Debian: apt-get install debootstrap)"
  local mirror security
  mirror="${DEBIAN_MIRROR:-$(apt_source_for "$SUITE")}"
  security="${DEBIAN_SECURITY_MIRROR:-$(apt_source_for "$SUITE-security")}"
  [[ -n "$mirror" ]] || die "no apt source for '$SUITE' in /etc/apt/sources.list{,.d/}: set DEBIAN_MIRROR"
  local t0 dir
  t0="$(now_ms)"
  dir="$(mktemp -d /tmp/offline-debian.XXXXXX)"
  say "debootstrap --variant=minbase $SUITE from $mirror ..."
  if ! debootstrap --variant=minbase "$SUITE" "$dir" "$mirror" >"$dir.log" 2>&1; then
    tail -20 "$dir.log" >&2
    rm -rf "$dir"
    die "debootstrap failed (log: $dir.log)"
  fi
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    [[ -n "$security" ]] && echo "deb $security $SUITE-security main"
  } >"$dir/etc/apt/sources.list"
  # What a container image does not need: package caches, docs, the chroot's own resolv.conf.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
    "$dir"/usr/share/man/* "$dir"/etc/resolv.conf "$dir"/etc/hostname
  tar -C "$dir" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$dir" "$dir.log"
  say "$DEBIAN_IMAGE built in $(took "$t0") (mirror $mirror)"
}

# ---------------------------------------------------------------------------------- Node.js
NODE_BIN="$(readlink -f "$(command -v node || true)")"
[[ -x "$NODE_BIN" ]] || die "node not found on PATH: the Node image is made from this machine's Node.js"
NODE_MAJOR="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
NODE_IMAGE="$PREFIX/node:$NODE_MAJOR-slim"
build_node() {
  if have_image "$NODE_IMAGE"; then say "$NODE_IMAGE exists"; return; fi
  local prefix ctx t0
  prefix="$(dirname "$(dirname "$NODE_BIN")")"
  [[ -d "$prefix/lib/node_modules/npm" ]] || die "npm not found next to $NODE_BIN ($prefix/lib/node_modules/npm)"
  [[ -f "$prefix/include/node/common.gypi" ]] ||
    die "Node's headers not found ($prefix/include/node): native modules could not build offline"
  t0="$(now_ms)"
  ctx="$(mktemp -d /tmp/offline-node.XXXXXX)"
  mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules" "$ctx/node/include" "$ctx/ca"
  cp "$NODE_BIN" "$ctx/node/bin/node"
  cp -a "$prefix/lib/node_modules/npm" "$ctx/node/lib/node_modules/"
  [[ -d "$prefix/lib/node_modules/corepack" ]] && cp -a "$prefix/lib/node_modules/corepack" "$ctx/node/lib/node_modules/"
  cp -a "$prefix/include/node" "$ctx/node/include/"
  local ca_file=""
  shopt -s nullglob
  local certs=("$EXTRA_CA_DIR"/*.crt)
  shopt -u nullglob
  if ((${#certs[@]} > 0)); then
    cat "${certs[@]}" >"$ctx/ca/extra-ca.pem"
    ca_file=/usr/local/share/ca-certificates/extra-ca.pem
  else
    : >"$ctx/ca/.none"
  fi
  cp "$HERE/node/Dockerfile" "$ctx/Dockerfile"
  docker build -q -t "$NODE_IMAGE" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" \
    --build-arg "EXTRA_CA_FILE=$ca_file" "$ctx" >/dev/null
  rm -rf "$ctx"
  docker run --rm "$NODE_IMAGE" node -e 'process.exit(0)' || die "$NODE_IMAGE: node does not run in it"
  say "$NODE_IMAGE built in $(took "$t0") (Node $("$NODE_BIN" --version) from $prefix, ${#certs[@]} extra CA file(s))"
}

# ---------------------------------------------------------------------------------- Kafka
default_kafka_tag() { sed -n 's/.*KAFKA_IMAGE_TAG:-\([0-9][0-9.]*\)}.*/\1/p' "$ROOT/docker-compose.yml" | head -1; }
KAFKA_TAG="${KAFKA_IMAGE_TAG:-$(default_kafka_tag)}"
[[ -n "$KAFKA_TAG" ]] || die "no Kafka version: set KAFKA_IMAGE_TAG"
KAFKA_IMAGE="$PREFIX/kafka"
build_kafka() {
  if have_image "$KAFKA_IMAGE:$KAFKA_TAG"; then say "$KAFKA_IMAGE:$KAFKA_TAG exists"; return; fi
  local libs ctx t0
  t0="$(now_ms)"
  libs="$(KAFKA_VERSION="$KAFKA_TAG" bash "$ROOT/scripts/kafka.sh" path)" || die "could not fetch the Kafka $KAFKA_TAG jars"
  ctx="$(mktemp -d /tmp/offline-kafka.XXXXXX)"
  cp -a "$libs" "$ctx/libs"
  rm -f "$ctx/libs/.complete"
  cp -a "$HERE/kafka/bin" "$ctx/bin"
  cp "$HERE/kafka/Dockerfile" "$ctx/Dockerfile"
  docker build -q -t "$KAFKA_IMAGE:$KAFKA_TAG" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "$KAFKA_IMAGE:$KAFKA_TAG built in $(took "$t0") (jars from $libs)"
}

# Sets NAME=VALUE in an env file: replaces the line that sets NAME, else appends one.
set_env_line() {
  local file="$1" name="$2" value="$3"
  touch "$file"
  if grep -q "^$name=" "$file"; then sed -i "s|^$name=.*|$name=$value|" "$file"
  else printf '%s=%s\n' "$name" "$value" >>"$file"; fi
}

build_debian
build_node
build_kafka
if [[ -n "$ENV_FILE" ]]; then
  set_env_line "$ENV_FILE" NODE_IMAGE "$NODE_IMAGE"
  set_env_line "$ENV_FILE" KAFKA_IMAGE "$KAFKA_IMAGE"
  set_env_line "$ENV_FILE" KAFKA_IMAGE_TAG "$KAFKA_TAG"
  say "wrote NODE_IMAGE, KAFKA_IMAGE and KAFKA_IMAGE_TAG into $ENV_FILE"
else
  say "compose uses them with these lines in .env (or exported):"
  echo "NODE_IMAGE=$NODE_IMAGE"
  echo "KAFKA_IMAGE=$KAFKA_IMAGE"
  echo "KAFKA_IMAGE_TAG=$KAFKA_TAG"
fi
