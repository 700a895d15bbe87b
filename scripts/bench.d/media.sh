# Sourced by scripts/bench: phone media (issue 11). Uses $bin, $work, $runs, timed, median,
# shoebox_index and vips_sizes from there.
#   heic   12 MP HEICs made with heif-enc (BENCH_HEIC_N, default 24): Shoebox's index (all sizes)
#          against PhotoPrism's way (heif-convert to JPEG, then vipsthumbnail for the same sizes)
#          and against the bare decode (heif-dec/heif-convert to PNG), 2 workers each; wall time,
#          peak memory, ratios; then the peak memory of indexing 48 MP HEICs (BENCH_HEIC48_N, 4).
#   video  per video (BENCH_VIDEO_N 1080p H.264 clips of BENCH_VIDEO_SECS): Shoebox's metadata +
#          poster + sizes against ffprobe + one ffmpeg frame grab; then the transcode of a 1080p
#          HEVC clip to H.264 by Shoebox's queue against the same ffmpeg command run directly,
#          in frames per second.

heif_decoder() { command -v heif-dec || command -v heif-convert; }

# HEICs from the bench corpus' JPEGs (x265 preset veryfast: the default takes minutes per 12 MP
# picture on 2 cores): $1 folder, $2 count, $3 "12" or "48" megapixels.
make_heics() { # folder count mp
  local out=$1 n=$2 mp=$3 src=$work/heic-src
  [ "$(ls "$out"/*.heic 2>/dev/null | wc -l)" -ge "$n" ] && return 0
  rm -rf "$out" && mkdir -p "$out"
  if [ "$(ls "$src"/*.jpg 2>/dev/null | wc -l)" -lt "$n" ]; then
    rm -rf "$src" && "$bin" bench-corpus "$src" --jpeg12 "$n" --jpeg24 0 --png 0 >/dev/null
  fi
  local i=0 f
  for f in "$src"/*.jpg; do
    [ "$i" -lt "$n" ] || break
    if [ "$mp" = 48 ]; then
      # Twice the sides of a 12 MP picture: 8000×6000, as a 48 MP iPhone sensor writes.
      vips resize "$f" "$work/heic-48.jpg[Q=92]" 2
      heif-enc -q 60 -p preset=veryfast -o "$out/IMG_$(printf %04d "$i").heic" "$work/heic-48.jpg" >/dev/null
    else
      heif-enc -q 60 -p preset=veryfast -o "$out/IMG_$(printf %04d "$i").heic" "$f" >/dev/null
    fi
    i=$((i + 1))
  done
  rm -f "$work/heic-48.jpg"
}

# Two workers, each over every second file, each running `$3 file...` in a shell; prints
# "seconds peak_kb" (peak: the sum of the two workers' largest process).
two_workers() { # corpus out function
  local corpus=$1 out=$2 fn=$3
  rm -rf "$out" && mkdir -p "$out"
  local files=("$corpus"/*.heic) start end peak=0 pids=()
  start=$(date +%s.%N)
  for t in 0 1; do
    local part=()
    for ((i = t; i < ${#files[@]}; i += 2)); do part+=("${files[$i]}"); done
    VIPS_CONCURRENCY=1 /usr/bin/time -f "%M" -o "$work/worker.$t" bash -c "$fn"' "$@"' _ "$out" "${part[@]}" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  for t in 0 1; do peak=$((peak + $(tail -1 "$work/worker.$t"))); done
  echo "$(echo "$end - $start" | bc) $peak"
}

# PhotoPrism's way: each HEIC to a JPEG with heif-convert, then vipsthumbnail makes the sizes.
photoprism_heic() { # out files...
  local out=$1; shift
  local jpegs=() f
  for f in "$@"; do
    heif-convert -q 92 "$f" "$out/$(basename "$f" .heic).jpg" >/dev/null
    jpegs+=("$out/$(basename "$f" .heic).jpg")
  done
  vips_sizes "$out" "${jpegs[@]}"
}

# The floor: the decode alone, written as PNG.
bare_decode() { # out files...
  local out=$1 dec; shift
  dec=$(heif_decoder)
  for f in "$@"; do "$dec" "$f" "$out/$(basename "$f" .heic).png" >/dev/null; done
}
export -f photoprism_heic bare_decode heif_decoder

heic() {
  command -v heif-enc >/dev/null || apt-get install -y -qq libheif-examples >/dev/null
  local n=${BENCH_HEIC_N:-24} corpus=$work/heic12
  make_heics "$corpus" "$n" 12
  echo "heic corpus: $n files of 12 MP, $(du -sm "$corpus" | cut -f1) MB; decoder $(heif_decoder)"
  : >"$work/h.s"; : >"$work/h.p"; : >"$work/h.d"; : >"$work/h.sm"; : >"$work/h.pm"; : >"$work/h.dm"
  : >"$work/h.ratio_p"; : >"$work/h.ratio_d"
  for ((r = 0; r < runs; r++)); do
    local st sm pt pm dt dm
    read -r st sm < <(shoebox_index 2 "$work/st-heic" "$corpus")
    read -r pt pm < <(two_workers "$corpus" "$work/pp-heic" photoprism_heic)
    read -r dt dm < <(two_workers "$corpus" "$work/dec-heic" bare_decode)
    echo "$st" >>"$work/h.s"; echo "$pt" >>"$work/h.p"; echo "$dt" >>"$work/h.d"
    echo "$sm" >>"$work/h.sm"; echo "$pm" >>"$work/h.pm"; echo "$dm" >>"$work/h.dm"
    echo "$pt / $st" | bc -l >>"$work/h.ratio_p"; echo "$st / $dt" | bc -l >>"$work/h.ratio_d"
  done
  local indexed
  indexed=$(sqlite3 "$work/st-heic/shoebox.db" "SELECT count(*) FROM photos WHERE format = 'heic'")
  [ "$indexed" -eq "$n" ] || { echo "heic: Shoebox indexed $indexed of $n HEICs; see $work/st-heic" >&2; return 1; }
  printf 'heic, %d × 12 MP, 2 workers: shoebox %.2f s (peak %d MB); photoprism way %.2f s (peak %d MB); bare decode %.2f s (peak %d MB)\n' \
    "$n" "$(median <"$work/h.s")" "$(($(sort -n "$work/h.sm" | tail -1) / 1024))" \
    "$(median <"$work/h.p")" "$(($(sort -n "$work/h.pm" | tail -1) / 1024))" \
    "$(median <"$work/h.d")" "$(($(sort -n "$work/h.dm" | tail -1) / 1024))"
  printf '  photoprism/shoebox time %.2f (target >= 1.5), shoebox/bare decode %.2f (median of %d runs)\n' \
    "$(median <"$work/h.ratio_p")" "$(median <"$work/h.ratio_d")" "$runs"
  local n48=${BENCH_HEIC48_N:-4} big=$work/heic48 t48 m48
  make_heics "$big" "$n48" 48
  read -r t48 m48 < <(shoebox_index 2 "$work/st-heic48" "$big")
  indexed=$(sqlite3 "$work/st-heic48/shoebox.db" "SELECT count(*) FROM photos WHERE format = 'heic'")
  [ "$indexed" -eq "$n48" ] || { echo "heic: Shoebox indexed $indexed of $n48 48 MP HEICs" >&2; return 1; }
  printf 'heic, %d × 48 MP, 2 workers: shoebox %.2f s, peak %d MB (target < 250)\n' "$n48" "$t48" $((m48 / 1024))
}

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
  local n=${BENCH_VIDEO_N:-6} secs=${BENCH_VIDEO_SECS:-10} corpus=$work/videos
  make_videos "$corpus" "$n" "$secs"
  echo "video corpus: $n clips of 1080p H.264/AAC, $secs s, $(du -sm "$corpus" | cut -f1) MB"
  : >"$work/v.s"; : >"$work/v.a"; : >"$work/v.ratio"
  for ((r = 0; r < runs; r++)); do
    local st at
    read -r st _ < <(shoebox_index 1 "$work/st-video" "$corpus")
    rm -rf "$work/grab" && mkdir -p "$work/grab"
    read -r at _ < <(timed bash -c 'probe_and_grab "$@"' _ "$corpus" "$work/grab")
    echo "$st / $n" | bc -l >>"$work/v.s"; echo "$at / $n" | bc -l >>"$work/v.a"; echo "$st / $at" | bc -l >>"$work/v.ratio"
  done
  local indexed
  indexed=$(sqlite3 "$work/st-video/shoebox.db" "SELECT count(*) FROM photos WHERE media_type = 'video'")
  [ "$indexed" -eq "$n" ] || { echo "video: Shoebox indexed $indexed of $n clips; see $work/st-video" >&2; return 1; }
  printf 'video, per 1080p clip, 1 worker: shoebox (hash, metadata, poster, every index size) %.3f s; ffprobe + one frame grab %.3f s; shoebox/anchor %.2f (target <= 1.3, median of %d runs)\n' \
    "$(median <"$work/v.s")" "$(median <"$work/v.a")" "$(median <"$work/v.ratio")" "$runs"
  transcode_speed "$secs"
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
