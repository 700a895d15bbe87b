# Sourced by scripts/bench: videos (issue 11). Uses $bin, $work, $runs, timed, median and
# shoebox_index from there.
#   video         per video (BENCH_VIDEO_N 1080p H.264 clips of BENCH_VIDEO_SECS): Shoebox's
#                 metadata + poster + sizes against ffprobe + one ffmpeg frame grab, with the start
#                 of `shoebox index` on an empty folder measured apart; then the peak memory of
#                 indexing 3840×2160 H.264 and HEVC clips with 2 workers (BENCH_VIDEO4K_N, the
#                 part `video-4k` alone); then the transcode of a 1080p HEVC clip to H.264 by
#                 Shoebox's queue against the same ffmpeg command run directly, in frames/s.
#   video-upload  the memory `shoebox serve` adds while a video of BENCH_UPLOAD_GB (4) GB is
#                 uploaded through POST /api/v1/upload and indexed (writes about twice that).

# 1080p H.264 clips with sound, each different (a moving test pattern from another start).
make_videos() { # folder count seconds
  local out=$1 n=$2 secs=$3
  [ "$(ls "$out"/*.mp4 2>/dev/null | wc -l)" -ge "$n" ] && return 0
  rm -rf "$out" && mkdir -p "$out"
  for ((i = 0; i < n; i++)); do
    ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=$secs,hue=h=$((i * 37))" \
      -f lavfi -i "sine=frequency=$((300 + i * 20)):duration=$secs" \
      -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -movflags +faststart "$out/clip_$i.mp4"
  done
}

# What a plain tool chain does per video: ffprobe's metadata and one poster frame.
probe_and_grab() { # corpus out
  local f
  for f in "$1"/*.mp4; do
    ffprobe -v error -print_format json -show_format -show_streams "$f" >/dev/null
    ffmpeg -v error -nostdin -y -ss 1 -i "$f" -frames:v 1 -q:v 3 "$2/$(basename "$f").jpg"
  done
}

video() {
  command -v ffmpeg >/dev/null || apt-get install -y -qq ffmpeg >/dev/null
  video_speed
  video_4k
  transcode_speed "${BENCH_VIDEO_SECS:-10}"
}

video_speed() {
  local n=${BENCH_VIDEO_N:-6} secs=${BENCH_VIDEO_SECS:-10} corpus=$work/videos
  make_videos "$corpus" "$n" "$secs"
  echo "video corpus: $n clips of 1080p H.264/AAC, $secs s, $(du -sm "$corpus" | cut -f1) MB"
  : >"$work/v.s"; : >"$work/v.a"; : >"$work/v.ratio"; : >"$work/v.start"
  rm -rf "$work/empty" && mkdir -p "$work/empty"
  for ((r = 0; r < runs; r++)); do
    local st at empty
    read -r st _ < <(shoebox_index 1 "$work/st-video" "$corpus")
    rm -rf "$work/grab" && mkdir -p "$work/grab"
    read -r at _ < <(timed bash -c 'probe_and_grab "$@"' _ "$corpus" "$work/grab")
    # What every `shoebox index` costs before its first file (a new database, its migrations):
    # reported apart, and still inside Shoebox's per-clip figure.
    read -r empty _ < <(shoebox_index 1 "$work/st-empty" "$work/empty")
    echo "$st / $n" | bc -l >>"$work/v.s"; echo "$at / $n" | bc -l >>"$work/v.a"; echo "$st / $at" | bc -l >>"$work/v.ratio"
    echo "$empty" >>"$work/v.start"
  done
  local indexed
  indexed=$(sqlite3 "$work/st-video/shoebox.db" "SELECT count(*) FROM photos WHERE media_type = 'video'")
  [ "$indexed" -eq "$n" ] || { echo "video: Shoebox indexed $indexed of $n clips; see $work/st-video" >&2; return 1; }
  printf 'video, per 1080p clip, 1 worker: shoebox (hash, metadata, poster, every index size) %.3f s; ffprobe + one frame grab %.3f s; shoebox/anchor %.2f (target <= 1.3, median of %d runs)\n' \
    "$(median <"$work/v.s")" "$(median <"$work/v.a")" "$(median <"$work/v.ratio")" "$runs"
  printf '  of which once per run, not per clip: shoebox index of an empty folder %.3f s (median)\n' "$(median <"$work/v.start")"
}
export -f probe_and_grab

# Shoebox's queue transcoding a 1080p HEVC clip (timed from the start of `serve` until the row
# says done, polled every 0.1 s), and the same ffmpeg arguments run directly as the anchor.
transcode_speed() { # seconds
  local secs=$1 storage=$work/st-transcode orig=$work/transcode-orig port=${BENCH_PORT:-2399}
  rm -rf "$storage" "$orig" && mkdir -p "$orig"
  ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=$secs" -f lavfi -i "sine=duration=$secs" \
    -c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1 -pix_fmt yuv420p -c:a aac "$orig/hevc.mov"
  local frames
  frames=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$orig/hevc.mov")
  local start pid
  start=$(date +%s.%N)
  SHOEBOX_STORAGE_PATH=$storage SHOEBOX_ORIGINALS_PATH=$orig SHOEBOX_HTTP_PORT=$port SHOEBOX_HTTP_HOST=127.0.0.1 \
    SHOEBOX_INDEX_INTERVAL=0 "$bin" serve >"$work/transcode.log" 2>&1 &
  pid=$!
  local state=""
  until [ "$state" = done ] || [ "$state" = failed ]; do
    sleep 0.1
    state=$(sqlite3 "$storage/shoebox.db" "SELECT status FROM transcodes" 2>/dev/null || true)
  done
  local shoebox
  shoebox=$(echo "$(date +%s.%N) - $start" | bc)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$state" = done ] || { echo "transcode failed; see $work/transcode.log" >&2; return 1; }
  # The queue's own command (src/library/transcode.rs: nice 19, default FFMPEG_SIZE and
  # FFMPEG_BITRATE, libx264 veryfast).
  local direct
  read -r direct _ < <(timed nice -n 19 ffmpeg -v error -nostdin -y -i "$orig/hevc.mov" -map 0:v:0 -map '0:a:0?' \
    -vf "scale=w='if(gte(iw,ih),min(iw,3840),-2)':h='if(gte(iw,ih),-2,min(ih,3840))',format=yuv420p" \
    -c:v libx264 -b:v 50M -maxrate 50M -bufsize 50M -c:a aac -b:a 128k -movflags +faststart -f mp4 \
    -preset veryfast -profile:v high "$work/direct.mp4")
  printf 'transcode 1080p HEVC -> H.264, %d frames: shoebox queue %.2f s (%.1f frames/s, from start of serve: includes indexing the clip); ffmpeg alone %.2f s (%.1f frames/s)\n' \
    "$frames" "$shoebox" "$(echo "$frames / $shoebox" | bc -l)" "$direct" "$(echo "$frames / $direct" | bc -l)"
}

# 3840×2160 clips at 30 frames/s, every other one HEVC (as an iPhone records 4K), each different.
make_4k_videos() { # folder count seconds
  local out=$1 n=$2 secs=$3
  [ "$(ls "$out"/*.mp4 "$out"/*.mov 2>/dev/null | wc -l)" -ge "$n" ] && return 0
  rm -rf "$out" && mkdir -p "$out"
  for ((i = 0; i < n; i++)); do
    local src=(-f lavfi -i "testsrc2=s=3840x2160:r=30:d=$secs,hue=h=$((i * 41))" -f lavfi -i "sine=duration=$secs")
    if ((i % 2)); then
      ffmpeg -v error -nostdin -y "${src[@]}" -c:v libx265 -preset ultrafast -x265-params log-level=error \
        -tag:v hvc1 -pix_fmt yuv420p -c:a aac "$out/4k_hevc_$i.mov"
    else
      ffmpeg -v error -nostdin -y "${src[@]}" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac \
        "$out/4k_h264_$i.mp4"
    fi
  done
}

# Polls the memory of process $1 and its children (ffprobe, ffmpeg) every 50 ms until it ends;
# prints the largest sum seen and the largest of process $1 alone, in kB. Each process counts its proportional set size (Pss): the
# ~60 MB of libraries every ffmpeg maps are shared, so adding resident sizes would count them
# once per process.
tree_peak() { # pid
  local peak=0 own=0 now p pss
  while kill -0 "$1" 2>/dev/null; do
    now=0
    for p in "$1" $(pgrep -P "$1"); do
      # A process that just ended has no (or an empty) smaps_rollup.
      pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
      now=$((now + ${pss:-0}))
      if [ "$p" = "$1" ] && [ "${pss:-0}" -gt "$own" ]; then own=$pss; fi
    done
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.05
  done
  echo "$peak $own"
}

# Peak memory of `shoebox index` with 2 workers over 4K clips: GNU time's maximum resident size
# (the largest single process, Shoebox or one of its ffmpeg/ffprobe children, as the heic part
# reports), and the largest sum of Shoebox and its children at once (Pss, sampled).
video_4k() {
  local n=${BENCH_VIDEO4K_N:-4} corpus=$work/videos4k storage=$work/st-video4k
  make_4k_videos "$corpus" "$n" "${BENCH_VIDEO4K_SECS:-3}"
  rm -rf "$storage"
  SHOEBOX_STORAGE_PATH=$storage SHOEBOX_ORIGINALS_PATH=$corpus SHOEBOX_INDEX_WORKERS=2 \
    /usr/bin/time -f "%e %M" -o "$work/time4k.out" "$bin" index --json >/dev/null &
  local pid=$! tree own index=""
  # The index is time's child.
  until [ -n "$index" ] || ! kill -0 "$pid" 2>/dev/null; do index=$(pgrep -P "$pid" | head -1); sleep 0.01; done
  read -r tree own < <(tree_peak "${index:-$pid}")
  wait "$pid"
  local t m indexed
  read -r t m <"$work/time4k.out"
  indexed=$(sqlite3 "$storage/shoebox.db" "SELECT count(*) FROM photos WHERE media_type = 'video'")
  [ "$indexed" -eq "$n" ] || { echo "video-4k: Shoebox indexed $indexed of $n clips; see $storage" >&2; return 1; }
  printf 'video 4K, %d clips of 3840x2160 (H.264 and HEVC), 2 workers: shoebox index %.2f s, peak %d MB (largest process), %d MB (shoebox and its ffmpeg/ffprobe children together, Pss sampled every 50 ms; shoebox alone %d MB); target < 250\n' \
    "$n" "$t" $((m / 1024)) $((tree / 1024)) $((own / 1024))
}

# A real video of at least $2 GB: a 10 s 1080p clip at a high bitrate (x264 lossless), repeated
# with -stream_loop and copied, not encoded, into one MP4 whose header is at its end, as a camera
# writes it.
make_big_video() { # file gb
  local out=$1 gb=$2 clip=$work/upload-clip.mp4
  [ -f "$out" ] && [ "$(stat -c %s "$out")" -ge $((gb * 1024 * 1024 * 1024)) ] && return 0
  [ -f "$clip" ] || ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=10" \
    -f lavfi -i "sine=duration=10" -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p -c:a aac "$clip"
  local loops
  loops=$(((gb * 1024 * 1024 * 1024) / $(stat -c %s "$clip") + 1))
  ffmpeg -v error -nostdin -y -stream_loop "$loops" -i "$clip" -c copy "$out"
}

# The memory `shoebox serve` adds while one video of BENCH_UPLOAD_GB is uploaded through the
# upload API (multipart, streamed by curl) and indexed: VmRSS before, VmHWM after.
video_upload() {
  command -v ffmpeg >/dev/null || apt-get install -y -qq ffmpeg >/dev/null
  local gb=${BENCH_UPLOAD_GB:-4} storage=$work/st-upload big=$work/upload-big.mp4 port pid
  make_big_video "$big" "$gb"
  local size
  size=$(stat -c %s "$big")
  rm -rf "$storage" && mkdir -p "$storage"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SHOEBOX_STORAGE_PATH=$storage SHOEBOX_HTTP_HOST=127.0.0.1 SHOEBOX_HTTP_PORT=$port SHOEBOX_INDEX_INTERVAL=0 \
    "$bin" serve 2>"$work/upload.log" &
  pid=$!
  local base=http://127.0.0.1:$port
  until curl -fs "$base/health" >/dev/null; do sleep 0.1; done
  local csrf
  csrf=$(curl -fs -c "$work/jar" -H 'Content-Type: application/json' -H "Origin: $base" \
    -d "{\"username\":\"admin\",\"password\":\"$SHOEBOX_ADMIN_PASSWORD\"}" "$base/api/v1/session" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
  # A small upload first, so what the first request allocates once is in the idle figure.
  curl -fs -b "$work/jar" -H "X-CSRF-Token: $csrf" -H "Origin: $base" \
    -F "files=@$work/upload-clip.mp4;type=video/mp4" "$base/api/v1/upload" >/dev/null
  local idle peak took answer
  idle=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  answer=$work/upload-answer.json
  took=$( { /usr/bin/time -f "%e" curl -fsS -b "$work/jar" -H "X-CSRF-Token: $csrf" -H "Origin: $base" \
    -F "files=@$big;type=video/mp4" -o "$answer" "$base/api/v1/upload"; } 2>&1 | tail -1)
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  local result stored
  result=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"][0]["result"])' "$answer")
  stored=$(sqlite3 "$storage/shoebox.db" "SELECT size FROM files f JOIN photos p ON p.id = f.photo_id
                                         WHERE p.media_type = 'video' ORDER BY f.size DESC LIMIT 1")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The stored copy goes; the source stays in BENCH_DIR for the next run, as the other corpora do.
  rm -rf "$storage"
  [ "$result" = new ] && [ "$stored" -eq "$size" ] ||
    { echo "video-upload: the upload answered $(cat "$answer"), stored $stored of $size bytes" >&2; return 1; }
  printf 'video-upload of a %.2f GB MP4 (uploaded, hashed, probed, poster made): %.1f s; server memory idle %d MB, peak %d MB, added %d MB (target < 50)\n' \
    "$(echo "$size / 1024 / 1024 / 1024" | bc -l)" "$took" $((idle / 1024)) $((peak / 1024)) $(((peak - idle) / 1024))
}
