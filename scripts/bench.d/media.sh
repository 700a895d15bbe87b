# Sourced by scripts/bench: phone photos (issue 11; videos are in video.sh). Uses $bin, $work,
# $runs, timed, median, shoebox_index and vips_sizes from there.
#   heic   12 MP HEICs made with heif-enc (BENCH_HEIC_N, default 24): Shoebox's index (all sizes)
#          against PhotoPrism's way (heif-convert to JPEG, then vipsthumbnail for the same sizes)
#          and against the bare decode (heif-dec/heif-convert to PNG, and to raw .y4m as Shoebox
#          has it write), 2 workers each; wall time, peak memory, ratios; then the peak memory of indexing 48 MP HEICs (BENCH_HEIC48_N, 4).

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
# The fair floor: the same decoder writing raw 4:2:0 `.y4m`, as Shoebox has it do (nothing to
# compress), so shoebox/y4m is what Shoebox adds on top of the decode.
y4m_decode() { # out files...
  local out=$1 dec; shift
  dec=$(heif_decoder)
  for f in "$@"; do "$dec" --quiet "$f" "$out/$(basename "$f" .heic).y4m" >/dev/null; done
}
export -f photoprism_heic bare_decode y4m_decode heif_decoder

heic() {
  command -v heif-enc >/dev/null || apt-get install -y -qq libheif-examples >/dev/null
  local n=${BENCH_HEIC_N:-24} corpus=$work/heic12
  make_heics "$corpus" "$n" 12
  echo "heic corpus: $n files of 12 MP, $(du -sm "$corpus" | cut -f1) MB; decoder $(heif_decoder)"
  : >"$work/h.s"; : >"$work/h.p"; : >"$work/h.d"; : >"$work/h.sm"; : >"$work/h.pm"; : >"$work/h.dm"
  : >"$work/h.ratio_p"; : >"$work/h.ratio_d"; : >"$work/h.y"; : >"$work/h.ym"; : >"$work/h.ratio_y"
  for ((r = 0; r < runs; r++)); do
    local st sm pt pm dt dm yt ym
    read -r st sm < <(shoebox_index 2 "$work/st-heic" "$corpus")
    read -r pt pm < <(two_workers "$corpus" "$work/pp-heic" photoprism_heic)
    read -r dt dm < <(two_workers "$corpus" "$work/dec-heic" bare_decode)
    read -r yt ym < <(two_workers "$corpus" "$work/y4m-heic" y4m_decode)
    rm -rf "$work/y4m-heic"
    echo "$st" >>"$work/h.s"; echo "$pt" >>"$work/h.p"; echo "$dt" >>"$work/h.d"; echo "$yt" >>"$work/h.y"
    echo "$sm" >>"$work/h.sm"; echo "$pm" >>"$work/h.pm"; echo "$dm" >>"$work/h.dm"; echo "$ym" >>"$work/h.ym"
    echo "$pt / $st" | bc -l >>"$work/h.ratio_p"; echo "$st / $dt" | bc -l >>"$work/h.ratio_d"
    echo "$st / $yt" | bc -l >>"$work/h.ratio_y"
  done
  local indexed
  indexed=$(sqlite3 "$work/st-heic/shoebox.db" "SELECT count(*) FROM photos WHERE format = 'heic'")
  [ "$indexed" -eq "$n" ] || { echo "heic: Shoebox indexed $indexed of $n HEICs; see $work/st-heic" >&2; return 1; }
  printf 'heic, %d × 12 MP, 2 workers: shoebox %.2f s (peak %d MB); photoprism way %.2f s (peak %d MB); bare decode to PNG %.2f s (peak %d MB); bare decode to y4m %.2f s (peak %d MB)\n' \
    "$n" "$(median <"$work/h.s")" "$(($(sort -n "$work/h.sm" | tail -1) / 1024))" \
    "$(median <"$work/h.p")" "$(($(sort -n "$work/h.pm" | tail -1) / 1024))" \
    "$(median <"$work/h.d")" "$(($(sort -n "$work/h.dm" | tail -1) / 1024))" \
    "$(median <"$work/h.y")" "$(($(sort -n "$work/h.ym" | tail -1) / 1024))"
  printf '  photoprism/shoebox time %.2f (target >= 1.5), shoebox/decode to PNG %.2f, shoebox/decode to y4m %.2f (median of %d runs)\n' \
    "$(median <"$work/h.ratio_p")" "$(median <"$work/h.ratio_d")" "$(median <"$work/h.ratio_y")" "$runs"
  local n48=${BENCH_HEIC48_N:-4} big=$work/heic48 t48 m48
  make_heics "$big" "$n48" 48
  read -r t48 m48 < <(shoebox_index 2 "$work/st-heic48" "$big")
  indexed=$(sqlite3 "$work/st-heic48/shoebox.db" "SELECT count(*) FROM photos WHERE format = 'heic'")
  [ "$indexed" -eq "$n48" ] || { echo "heic: Shoebox indexed $indexed of $n48 48 MP HEICs" >&2; return 1; }
  printf 'heic, %d × 48 MP, 2 workers: shoebox %.2f s, peak %d MB (target < 250)\n' "$n48" "$t48" $((m48 / 1024))
}
