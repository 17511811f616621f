#!/usr/bin/env bash
# A Docker daemon for the docker infra driver's tests (chaos/infra/docker.py), started only when none answers.
#
#   .ci/docker-daemon.sh start   install docker.io (apt-get, as root) if dockerd is missing; when no daemon
#                                answers, start dockerd with no bridge and no iptables rules (servers use host
#                                networking on 127.0.0.1), wait until it answers, record its pid
#   .ci/docker-daemon.sh stop    stop the dockerd that `start` started (by its recorded pid), nothing else
#   .ci/docker-daemon.sh status  say whether a daemon answers
#
# Environment: TASKCHAOS_DOCKERD_STATE (default /tmp/taskchaos-dockerd: pid file and dockerd.log),
# TASKCHAOS_DOCKERD_DEADLINE_S (default 60), DOCKER_HOST (default unix:///var/run/docker.sock).
# `start` never fails the caller's run when Docker cannot be had: it says why on stderr and exits 0,
# and the docker tests then skip with the reason; `start --require` exits 1 instead.
set -euo pipefail

STATE_DIR="${TASKCHAOS_DOCKERD_STATE:-/tmp/taskchaos-dockerd}"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
DEADLINE_S="${TASKCHAOS_DOCKERD_DEADLINE_S:-60}"
HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
SOCKET="${HOST#unix://}"

say() { echo "docker-daemon: $*" >&2; }

# One cheap check: does a daemon answer GET /_ping on the socket?
answers() {
  [ -S "$SOCKET" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
  else
    python3 - "$SOCKET" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
sys.exit(0 if data.split(b"\r\n", 1)[0].split()[1:2] == [b"200"] else 1)
EOF
  fi
}

ensure_installed() {
  command -v dockerd >/dev/null 2>&1 && return 0
  [ -x /usr/sbin/dockerd ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "dockerd is missing and this is not root: install the Debian package docker.io (sudo apt-get install docker.io)"
    return 1
  fi
  say "installing docker.io with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

start() {
  local require="${1:-}"
  fail() { say "$*"; [ "$require" = --require ] && exit 1; exit 0; }
  if answers; then
    say "a Docker daemon already answers on $SOCKET; not starting another"
    return 0
  fi
  ensure_installed || fail "no Docker daemon: the docker tests will be skipped"
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    say "the dockerd we started (pid $(cat "$PID_FILE")) is running but does not answer yet; waiting for it"
  else
    [ "$(id -u)" = 0 ] || fail "dockerd must be started as root; the docker tests will be skipped"
    mkdir -p "$STATE_DIR"
    local dockerd
    dockerd="$(command -v dockerd || echo /usr/sbin/dockerd)"
    say "starting $dockerd on $HOST (log: $LOG_FILE)"
    # setsid: its own session, so the caller's Ctrl-C reaches it only through `stop`.
    setsid "$dockerd" --host "$HOST" --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
      ${TASKCHAOS_DOCKERD_ARGS:-} >>"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
  fi
  local pid deadline
  pid="$(cat "$PID_FILE")"
  deadline=$(( $(date +%s) + DEADLINE_S ))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      say "dockerd (pid $pid) exited before it answered; last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" >&2 || true
      fail "no Docker daemon: the docker tests will be skipped"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "dockerd (pid $pid) did not answer on $SOCKET within ${DEADLINE_S} s; see $LOG_FILE"
      fail "no Docker daemon: the docker tests will be skipped"
    fi
    sleep 0.2  # poll interval, not a wait for readiness
  done
  say "dockerd (pid $pid) answers on $SOCKET"
}

stop() {
  if [ ! -f "$PID_FILE" ]; then
    say "no dockerd started by this script (no $PID_FILE); nothing to stop"
    return 0
  fi
  local pid deadline
  pid="$(cat "$PID_FILE")"
  # Only the process we started: check it is still a dockerd before signalling the pid.
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    deadline=$(( $(date +%s) + 30 ))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        say "dockerd (pid $pid) still running after 30 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  else
    say "dockerd pid $pid is gone already"
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) if answers; then say "a daemon answers on $SOCKET"; else say "no daemon answers on $SOCKET"; exit 1; fi ;;
  *) echo "usage: $0 start [--require]|stop|status" >&2; exit 2 ;;
esac
