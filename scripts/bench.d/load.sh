# Sourced by scripts/bench: `load` (issue 15, target 3). Uses $bin, $work from there.
# A server over a library of BENCH_LOAD_PHOTOS small photos (default 300), then examples/load.rs:
# BENCH_LOAD_CLIENTS (50) signed-in clients for BENCH_SECS (60) seconds mixing timeline pages,
# the photo list API, thumbnails, viewer pages, favourite toggles (POST/DELETE with the CSRF
# token) and uploads. Reports per request kind the count, errors, p50 and p99, the throughput,
# the "database is locked" lines in the server's log and the server's peak memory (VmHWM).

load() {
  local photos=${BENCH_LOAD_PHOTOS:-300} clients=${BENCH_LOAD_CLIENTS:-50} secs=${BENCH_SECS:-60}
  local port=${BENCH_PORT:-2399} corpus=$work/load-library uploads=$work/load-uploads storage=$work/st-load
  local client
  # The client is built like the server: release, unless BENCH_BIN asks for a build at hand
  # (then a debug client, only to prove the method works).
  # BENCH_LOAD_CLIENT names a client already built (a release one beside BENCH_BIN's server).
  if [ -n "${BENCH_LOAD_CLIENT:-}" ]; then
    client=$(realpath "$BENCH_LOAD_CLIENT")
  elif [ -n "${BENCH_BIN:-}" ]; then
    cargo build --quiet --example load && client=$PWD/target/debug/examples/load
  else
    cargo build --release --quiet --example load && client=$PWD/target/release/examples/load
  fi
  # The library's photos and, apart, pictures to upload that it does not hold yet (bench-corpus
  # pictures differ by their number), enough that uploads stay new for the whole run.
  if [ ! -f "$corpus/done" ]; then
    rm -rf "$corpus" "$uploads" && mkdir -p "$uploads"
    "$bin" bench-corpus "$corpus" --jpeg12 0 --jpeg24 0 --png 0 --tiny $((photos + 3000)) >/dev/null
    find "$corpus/tiny" -name '*.jpg' | sort | tail -n +$((photos + 1)) | xargs mv -t "$uploads"
    touch "$corpus/done"
  fi
  rm -rf "$storage" && mkdir -p "$storage"
  cp -r "$corpus/tiny" "$storage/originals"
  SHOEBOX_STORAGE_PATH=$storage SHOEBOX_INDEX_WORKERS=2 "$bin" index >/dev/null
  SHOEBOX_STORAGE_PATH=$storage SHOEBOX_HTTP_PORT=$port SHOEBOX_HTTP_HOST=127.0.0.1 SHOEBOX_INDEX_INTERVAL=0 \
    SHOEBOX_SITE_URL="http://127.0.0.1:$port" "$bin" serve >"$work/load.log" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  local status=0
  "$client" "http://127.0.0.1:$port" admin "$SHOEBOX_ADMIN_PASSWORD" "$clients" "$secs" "$uploads" || status=$?
  local rss locked
  rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  locked=$(grep -c "database is locked" "$work/load.log" || true)
  printf '  server: peak memory %d MB, "database is locked" in its log: %d (target 0)\n' "$rss" "$locked"
  [ "$status" -eq 0 ] || { echo "load: the client saw errors (target 0); server log: $work/load.log" >&2; return 1; }
}
