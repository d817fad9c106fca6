#!/usr/bin/env bash
# Ensure a Docker engine answers. Starts dockerd the only way this project allows: no bridge, no
# iptables (containers run with --network host, loopback only). Prefers Debian's client, which has
# BuildKit, when the client first on PATH has no buildx.
set -euo pipefail
docker_cli=docker
[ -x /usr/bin/docker ] && docker_cli=/usr/bin/docker
if "$docker_cli" info >/dev/null 2>&1; then
  echo "docker engine: already running"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker engine: dockerd not found. Install it (Debian: apt-get install docker.io) or start Docker Desktop." >&2
  exit 1
fi
log_file=${FERRY_DOCKERD_LOG:-/tmp/ferry-dockerd.log}
nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$log_file" 2>&1 &
for _ in $(seq 1 60); do
  if "$docker_cli" info >/dev/null 2>&1; then
    echo "docker engine: started (log: $log_file)"
    exit 0
  fi
  sleep 0.5
done
echo "docker engine: dockerd did not answer within 30 s; see $log_file" >&2
exit 1
