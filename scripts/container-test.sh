#!/usr/bin/env bash
# Builds the container image and runs it the way people deploy it: non-root, read-only root
# file system, volumes for the data, the admin password as a secret file. Checks that the media
# tools (ffmpeg, ffprobe, heif-dec) run in the image, decode a HEIC, and that the server's log
# reports them found. Signs in through the
# API, uploads a photo and fetches its thumbnail, adds an
# account with `shoebox users add` in the container, stops it with SIGTERM (exit code 0), starts
# it again on the same volumes and finds everything again, runs the image's HEALTHCHECK, then
# backs up and restores the database with the commands of docs/deploy.md.
#
# Engine: on machines that carry ../shared/container/prepare-podman.sh (no Docker engine and no
# image registry) that script sets podman up first; elsewhere docker, else podman, is used as
# is. Without any engine the test says so and succeeds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "container-test: $*"; }
die() { echo "container-test: FAILED: $*" >&2; exit 1; }

build_flags=(--format docker)
health_flags=()
if [ -f ../shared/container/prepare-podman.sh ]; then
  eval "$(bash ../shared/container/prepare-podman.sh)"
  engine=podman
  build_flags+=(--pull=never --network=host)
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  engine=docker
  build_flags=()
  # docker runs the image's HEALTHCHECK itself; check often so the test need not wait 30 s.
  health_flags=(--health-interval=1s --health-start-period=0s)
elif command -v podman >/dev/null 2>&1; then
  engine=podman
else
  log "skipped: no container engine (install docker or podman to run it)"
  exit 0
fi
command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

# One tag per checkout: parallel runs from different checkouts do not test each other's image.
checkout=$(basename "$PWD" | tr -c 'a-zA-Z0-9_.\n-' '-' | tr '[:upper:]' '[:lower:]')
image=${SHOEBOX_TEST_IMAGE:-shoebox:test-$checkout}
name=shoebox-ct-$$
storage=shoebox-ct-storage-$$
originals=shoebox-ct-originals-$$
admin_password='container admin password'
work=$(mktemp -d)

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] && $engine inspect "$name" >/dev/null 2>&1; then
    echo "--- container log ---" >&2
    $engine logs "$name" >&2 2>&1 || true
  fi
  $engine rm -f "$name" >/dev/null 2>&1 || true
  $engine volume rm -f "$storage" "$originals" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------------------------
started=$SECONDS
$engine build "${build_flags[@]}" -t "$image" . > "$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; die "image build"; }
log "built $image with $engine in $((SECONDS - started)) s"

# --- image checks -----------------------------------------------------------------------------
user=$($engine image inspect --format '{{.Config.User}}' "$image")
case "$user" in
  "" | root | 0 | 0:* | root:*) die "the image runs as root (USER is '${user}')" ;;
esac
uid=$($engine run --rm --entrypoint id "$image" -u 2>"$work/run.err") || { cat "$work/run.err" >&2; die "$engine run id"; }
[ "$uid" != 0 ] || die "the container's process has uid 0"
healthcheck=$($engine image inspect --format '{{json .Config.Healthcheck}}' "$image")
case "$healthcheck" in
  *shoebox*healthcheck*) ;;
  *) die "the image has no HEALTHCHECK running 'shoebox healthcheck' (got $healthcheck)" ;;
esac
log "runs as uid $uid (USER $user), HEALTHCHECK $healthcheck"
$engine run --rm --entrypoint test "$image" -s /etc/ssl/certs/ca-certificates.crt 2>/dev/null \
  || die "the image lacks the CA certificates bundle (needed to reach an https provider)"

# The media tools (ffmpeg with its codec libraries, libheif and its decoder plugins) are most of
# the image; docs/deploy.md lists what each costs. What goes on top of debian:trixie-slim, tools
# and Shoebox, must stay under 300 MB, so that on the real base (about 80 MB) the image stays under
# 400 MB. The total is not checked: the stand-in base prepare-podman.sh builds is larger.
size=$($engine image inspect --format '{{.Size}}' "$image")
base=$($engine image inspect --format '{{.Size}}' docker.io/library/debian:trixie-slim 2>/dev/null || echo 0)
added=$((size - base))
log "image size $((size / 1000000)) MB, of which $((added / 1000000)) MB on top of debian:trixie-slim ($((base / 1000000)) MB here)"
[ "$base" -gt 0 ] || die "cannot measure the base image"
[ "$added" -lt 300000000 ] || die "the tools and Shoebox add $added bytes to the base image (limit 300 MB)"

# The media tools run inside the image: a missing shared library or plugin shows up here, not as
# skipped files in someone's library.
for tool in heif-dec ffmpeg ffprobe; do
  flag=-version
  [ "$tool" = heif-dec ] && flag=--version
  out=$($engine run --rm --entrypoint "$tool" "$image" "$flag" 2>"$work/run.err") \
    || { cat "$work/run.err" >&2; die "'$tool $flag' does not run in the image"; }
  [ -n "$out" ] || die "'$tool $flag' printed nothing"
  log "$tool $flag: ${out%%$'\n'*}"
done
# heif-dec runs without its decoder plugins too; a real HEIC (HEVC inside, 64x48) proves that
# Debian 13's separate libde265 plugin is there.
$engine run --rm -i --entrypoint sh "$image" -c \
  'cat > /tmp/t.heic && heif-dec /tmp/t.heic /tmp/t.png >/dev/null && test -s /tmp/t.png' \
  < tests/fixtures/container-photo.heic 2>"$work/run.err" || { cat "$work/run.err" >&2; die "heif-dec cannot decode a HEIC in the image"; }
log "heif-dec decodes a HEIC inside the image"

# --- run ----------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base_url="http://127.0.0.1:$port"
$engine volume create "$storage" >/dev/null
# The secret the way compose passes it: a read-only file the container's user can read.
printf '%s\n' "$admin_password" > "$work/admin_password"
chmod 0644 "$work/admin_password"
$engine volume create "$originals" >/dev/null

start() {
  $engine run -d --name "$name" \
    -p "127.0.0.1:$port:2342" \
    -e SHOEBOX_ADMIN_PASSWORD_FILE=/run/secrets/admin_password \
    -v "$work/admin_password:/run/secrets/admin_password:ro" \
    -v "$storage:/data/storage" -v "$originals:/data/originals" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges "${health_flags[@]}" \
    "$image" >/dev/null 2>"$work/run.err" || { cat "$work/run.err" >&2; die "$engine run"; }
  local started=$SECONDS
  until curl -fsS --max-time 2 "$base_url/health" >/dev/null 2>&1; do
    [ "$($engine inspect --format '{{.State.Running}}' "$name")" = true ] || die "the container exited before answering /health"
    [ $((SECONDS - started)) -lt 60 ] || die "no answer on /health within 60 s"
    sleep 0.2
  done
  log "answers /health after $((SECONDS - started)) s"
}

stop_with_sigterm() {
  $engine kill --signal TERM "$name" >/dev/null
  local code
  code=$(timeout 60 $engine wait "$name") || die "the container did not stop within 60 s of SIGTERM"
  [ "$code" = 0 ] || die "exit code $code after SIGTERM (0 expected)"
  local logs
  logs=$($engine logs "$name" 2>&1)
  grep -q "shutting down" <<<"$logs" || die "the log does not show a graceful shutdown"
  log "SIGTERM: clean exit (code 0)"
  $engine rm "$name" >/dev/null 2>&1 || die "cannot remove the stopped container"
}

# sign_in USER PASSWORD JAR: signs in through the API, prints the CSRF token.
sign_in() {
  local status
  status=$(curl -sS -o "$work/session.json" -w '%{http_code}' -c "$3" -b "$3" \
    -H 'Content-Type: application/json' \
    -d "$(python3 -c 'import json,sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2]}))' "$1" "$2")" \
    "$base_url/api/v1/session")
  [ "$status" = 200 ] || die "sign-in of $1 answered $status: $(cat "$work/session.json")"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$work/session.json"
}

# The first thumbnail URL (/api/v1/t/...) in a JSON document.
thumbnail_url() {
  python3 - "$1" <<'PY'
import json, sys
def walk(v):
    if isinstance(v, str) and v.startswith("/api/v1/t/"):
        yield v
    elif isinstance(v, dict):
        for x in v.values(): yield from walk(x)
    elif isinstance(v, list):
        for x in v: yield from walk(x)
try:
    print(next(walk(json.load(open(sys.argv[1])))))
except (StopIteration, ValueError):
    pass
PY
}

fetch_thumbnail() {
  local url=$1 jar=$2 out=$work/thumb.bin status type
  status=$(curl -sS -o "$out" -w '%{http_code} %{content_type}' -b "$jar" "$base_url$url")
  type=${status#* }
  status=${status%% *}
  [ "$status" = 200 ] || die "GET $url answered $status"
  case "$type" in image/*) ;; *) die "GET $url is $type, not an image" ;; esac
  [ -s "$out" ] || die "GET $url returned no bytes"
}

start
# Shoebox found the tools where the image put them (it logs one line per tool at start).
logs=$($engine logs "$name" 2>&1)
for tool in ffmpeg ffprobe heif-dec; do
  line=$(grep -F "tool=\"$tool\"" <<<"$logs" | head -n 1)
  case "$line" in
    *"state=found at /usr/bin/$tool"*) ;;
    *) die "the log does not report $tool as found at /usr/bin/$tool (got: ${line:-no line})" ;;
  esac
done
log "the server's log reports ffmpeg, ffprobe and heif-dec found in /usr/bin"
csrf=$(sign_in admin "$admin_password" "$work/admin.jar")
log "the administrator signs in through POST /api/v1/session"

# A photo goes in through the upload API and its thumbnail comes back.
status=$(curl -sS -o "$work/upload.json" -w '%{http_code}' -b "$work/admin.jar" -H "X-CSRF-Token: $csrf" \
  -F "files=@tests/fixtures/container-photo.jpg;type=image/jpeg" "$base_url/api/v1/upload")
case "$status" in 200 | 201) ;; *) die "upload answered $status: $(cat "$work/upload.json")" ;; esac
thumb=$(thumbnail_url "$work/upload.json")
if [ -z "$thumb" ]; then
  curl -fsS -b "$work/admin.jar" -o "$work/photos.json" "$base_url/api/v1/photos" || die "GET /api/v1/photos"
  thumb=$(thumbnail_url "$work/photos.json")
fi
[ -n "$thumb" ] || die "neither the upload answer nor /api/v1/photos names a thumbnail URL"
fetch_thumbnail "$thumb" "$work/admin.jar"
log "uploaded a photo and fetched its thumbnail $thumb"

second_password='second user password'
printf '%s\n' "$second_password" | $engine exec -i "$name" shoebox users add carol --role viewer >/dev/null \
  || die "shoebox users add inside the container"
log "created a second account with 'shoebox users add' inside the container"

stop_with_sigterm

# --- again, on the same volumes -------------------------------------------------------------------
start
csrf=$(sign_in admin "$admin_password" "$work/admin2.jar")
sign_in carol "$second_password" "$work/carol.jar" >/dev/null
log "after a restart on the same volume both accounts still sign in"
curl -fsS -b "$work/admin2.jar" -o "$work/photos.json" "$base_url/api/v1/photos" || die "GET /api/v1/photos after the restart"
thumb=$(thumbnail_url "$work/photos.json")
[ -n "$thumb" ] || die "the uploaded photo is gone after the restart"
fetch_thumbnail "$thumb" "$work/admin2.jar"
log "the photo and its thumbnail are still there"

if [ "$engine" = podman ]; then
  $engine healthcheck run "$name" 2>"$work/health.err" || { cat "$work/health.err" >&2; die "podman healthcheck run reports unhealthy"; }
  log "podman healthcheck run: healthy"
else
  started=$SECONDS
  until [ "$($engine inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]; do
    [ $((SECONDS - started)) -lt 90 ] || die "docker never reported the container healthy"
    sleep 1
  done
  log "docker reports the container healthy"
fi
# --- backup and restore as docs/deploy.md describes them --------------------------------------
mkdir -p "$work/backups"
$engine exec "$name" shoebox backup /data/storage/backup.db >/dev/null || die "shoebox backup inside the container"
$engine cp "$name:/data/storage/backup.db" "$work/backups/shoebox.db" || die "copying the backup out"
printf '%s\n' 'a later password' | $engine exec -i "$name" shoebox users add dave >/dev/null \
  || die "shoebox users add dave"
stop_with_sigterm
$engine run --rm -i -v "$storage:/data/storage" --entrypoint sh "$image" -c \
  'cat > /data/storage/restore.tmp && rm -f /data/storage/shoebox.db-wal /data/storage/shoebox.db-shm && mv /data/storage/restore.tmp /data/storage/shoebox.db' \
  < "$work/backups/shoebox.db" 2>"$work/run.err" || { cat "$work/run.err" >&2; die "restoring the backup"; }
start
sign_in carol "$second_password" "$work/carol2.jar" >/dev/null
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"dave","password":"a later password"}' "$base_url/api/v1/session")
[ "$status" != 200 ] || die "dave, created after the backup, still signs in: the restore did not happen"
log "shoebox backup, copied out and restored, brings back the accounts of that moment"
stop_with_sigterm
log "all checks passed"
