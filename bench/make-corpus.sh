#!/usr/bin/env bash
# make-corpus.sh — build a ~1 GiB realistic backup corpus (v1) and a second version (v2, ~5% changed).
# The project's copy of /work/shared/bench/make-corpus.sh; `--smoke` builds the same kinds of data
# scaled down 20x (~50 MiB), for a bench that runs in seconds.
# Usage: make-corpus.sh [--smoke] [OUTDIR]   (default /tmp/airgap-corpus, or /tmp/airgap-corpus-smoke)
# Layout (v1, full size; --smoke divides every size and count by 20):
#   src/include   real C/C++ headers (copy of /usr/include)              ~129 MiB, ~7.9k files
#   src/python    real Python stdlib sources (pyenv 3.12 lib, no caches)  ~110 MiB, ~2.4k files
#   bin/          real ELF shared libraries (semi-compressible binary)    ~100 MiB
#   docs/         synthetic logs / CSV / JSON-lines (compressible text)   ~120 MiB
#   media/        incompressible random files: 2x100 MiB, 1x50 MiB, 25x4 MiB  ~350 MiB
#   small/        20,000 tiny config-like files (0.1-3 KiB)               ~30 MiB
#   vm/disk.img   64 MiB "disk image": zero runs + repeated blocks (intra-file dedup)
# v2 = cp -a v1, then: logs appended, 2% of source files edited, 2 regions overwritten in big
# media files, 100 bytes inserted near the start of a 100 MiB file (CDC shift test), new files
# added, 1% of small files deleted, one directory renamed. Unchanged files keep their mtimes.
# The synthetic parts are deterministic (seeded); the real trees are whatever this machine holds, so
# compare tools side by side in one run on one corpus, and quote ratios rather than absolute times.
# When everything is written, OUTDIR/.complete holds the mode: a reader that finds it can reuse the corpus.
set -euo pipefail
SCALE=1
MODE=full
if [ "${1:-}" = "--smoke" ]; then SCALE=0.05; MODE=smoke; shift; fi
if [ "$MODE" = smoke ]; then OUT=${1:-/tmp/airgap-corpus-smoke}; else OUT=${1:-/tmp/airgap-corpus}; fi
V1=$OUT/v1; V2=$OUT/v2
rm -f "$OUT/.complete"
rm -rf "$V1" "$V2"; mkdir -p "$V1"/{src,bin,docs,media,small,vm}
PY=python3

# copy_capped SRC DST MAX_BYTES: the first files of SRC (sorted walk) up to MAX_BYTES, keeping mtimes and
# symlinks, skipping Python caches, site-packages and extension modules (as the full copy does).
copy_capped() {
  $PY - "$1" "$2" "$3" <<'EOF'
import os, sys, shutil
src, dst, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
total = 0
for d, dirs, files in os.walk(src):
    dirs[:] = sorted(x for x in dirs if x not in ('__pycache__', 'site-packages'))
    rel = os.path.relpath(d, src)
    os.makedirs(os.path.join(dst, rel), exist_ok=True)
    for f in sorted(files):
        p = os.path.join(d, f)
        if f.endswith('.so') or (not os.path.islink(p) and not os.path.isfile(p)):
            continue
        size = os.lstat(p).st_size
        if total + size > cap:
            continue
        q = os.path.join(dst, rel, f)
        if os.path.islink(p):
            os.symlink(os.readlink(p), q)
        else:
            shutil.copy2(p, q)
        total += size
EOF
}

echo "[1/8] real source trees"
PYLIB=$(ls -d "$HOME"/.pyenv/versions/3.12*/lib/python3.12 /usr/lib/python3.11 2>/dev/null | head -1 || true)
if [ "$MODE" = full ]; then
  if [ -d /usr/include ]; then cp -a /usr/include "$V1/src/include"; fi
  if [ -n "$PYLIB" ]; then
    cp -a "$PYLIB" "$V1/src/python"
    rm -rf "$V1/src/python/site-packages"
    find "$V1/src/python" \( -name __pycache__ -prune -o -name '*.so' \) -exec rm -rf {} +
  fi
else
  if [ -d /usr/include ]; then copy_capped /usr/include "$V1/src/include" $((129 * 1024 * 1024 / 20)); fi
  if [ -n "$PYLIB" ]; then copy_capped "$PYLIB" "$V1/src/python" $((110 * 1024 * 1024 / 20)); fi
fi

echo "[2/8] real shared libraries"
total=0
if [ "$MODE" = full ]; then BINCAP=$((100 * 1024 * 1024)); else BINCAP=$((5 * 1024 * 1024)); fi
for f in $(find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f | sort); do
  s=$(stat -c %s "$f"); [ $((total + s)) -gt $BINCAP ] && continue
  cp -p "$f" "$V1/bin/"; total=$((total + s))
done

echo "[3/8..7/8] synthetic text, random media, small files, disk image"
$PY - "$V1" "$SCALE" <<'EOF'
import os, sys, random, json
root = sys.argv[1]; S = float(sys.argv[2])
R = random.Random(20240601)
MiB = 1 << 20
def sz(n): return max(1, int(n * S))  # scaled size or count; S == 1 keeps the full recipe exactly
words = [''.join(R.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(R.randint(2, 10))) for _ in range(5000)]
def zipf_words(r, n):
    return ' '.join(words[min(int(r.paretovariate(1.1)) - 1, 4999)] for _ in range(n))
# docs: logs
os.makedirs(f'{root}/docs/logs', exist_ok=True)
levels = ['INFO'] * 20 + ['DEBUG'] * 10 + ['WARN'] * 3 + ['ERROR']
for i in range(8):
    r = random.Random(1000 + i); t = 1_700_000_000 + i * 86400
    with open(f'{root}/docs/logs/app-{i:02d}.log', 'w') as f:
        size = 0
        while size < sz(10 * MiB):
            t += r.randint(0, 3)
            line = f'2024-06-{1 + i:02d}T{(t // 3600) % 24:02d}:{(t // 60) % 60:02d}:{t % 60:02d}.{r.randint(0,999):03d}Z {r.choice(levels)} [{r.choice(words)}-{r.randint(1,16)}] req={r.getrandbits(64):016x} user={r.randint(1,50000)} {zipf_words(r, r.randint(4, 18))} latency_ms={r.randint(1,900)}\n'
            f.write(line); size += len(line)
# docs: CSV
os.makedirs(f'{root}/docs/data', exist_ok=True)
for i in range(4):
    r = random.Random(2000 + i)
    with open(f'{root}/docs/data/table-{i}.csv', 'w') as f:
        f.write('id,date,customer,sku,qty,price,country,comment\n'); size = 0; n = 0
        while size < sz(6 * MiB):
            n += 1
            line = f'{n},2023-{r.randint(1,12):02d}-{r.randint(1,28):02d},{r.randint(1,99999)},SKU-{r.randint(1,5000):05d},{r.randint(1,20)},{r.uniform(1,500):.2f},{r.choice(["DE","FR","US","GB","JP","BR","IN"])},{zipf_words(r, r.randint(0,6))}\n'
            f.write(line); size += len(line)
# docs: JSON lines
for i in range(4):
    r = random.Random(3000 + i)
    with open(f'{root}/docs/data/events-{i}.jsonl', 'w') as f:
        size = 0
        while size < sz(6 * MiB):
            o = {'ts': 1_700_000_000 + r.randint(0, 10**7), 'type': r.choice(['click', 'view', 'buy', 'login']),
                 'uid': r.randint(1, 10**6), 'props': {'path': '/' + '/'.join(r.choice(words) for _ in range(3)), 'ms': r.randint(1, 5000)},
                 'msg': zipf_words(r, r.randint(3, 12))}
            s = json.dumps(o) + '\n'; f.write(s); size += len(s)
# docs: prose-like markdown (many medium files)
os.makedirs(f'{root}/docs/notes', exist_ok=True)
for i in range(sz(300)):
    r = random.Random(4000 + i)
    with open(f'{root}/docs/notes/note-{i:04d}.md', 'w') as f:
        f.write(f'# {zipf_words(r, 5)}\n\n')
        for _ in range(r.randint(20, 300)):
            f.write(zipf_words(r, r.randint(10, 60)) + '.\n\n')
# media: incompressible
def randfile(path, n, seed):
    r = random.Random(seed)
    with open(path, 'wb') as f:
        left = n
        while left:
            k = min(left, 8 * MiB); f.write(r.randbytes(k)); left -= k
randfile(f'{root}/media/video-a.mp4', sz(100 * MiB), 1); randfile(f'{root}/media/video-b.mkv', sz(100 * MiB), 2)
randfile(f'{root}/media/archive.tar.zst', sz(50 * MiB), 3)
os.makedirs(f'{root}/media/photos', exist_ok=True)
for i in range(25): randfile(f'{root}/media/photos/IMG_{1000 + i}.jpg', sz(4 * MiB) + R.randint(0, sz(MiB)), 100 + i)
# small files
nsmall = sz(20000); perdir = sz(500)
for i in range(nsmall):
    d = f'{root}/small/d{i // perdir:02d}'; os.makedirs(d, exist_ok=True)
    r = random.Random(5000 + i)
    with open(f'{d}/cfg-{i:05d}.json', 'w') as f:
        json.dump({'id': i, 'name': r.choice(words), 'enabled': r.random() < .5, 'tags': [r.choice(words) for _ in range(r.randint(0, 8))],
                   'desc': zipf_words(r, r.randint(5, 200))}, f, indent=1)
# vm disk image: 4 KiB blocks; 50% zero, 25% repeated from a small pool, 25% random
r = random.Random(6000); pool = [r.randbytes(4096) for _ in range(256)]
with open(f'{root}/vm/disk.img', 'wb') as f:
    for _ in range(sz(64 * MiB) // 4096):
        x = r.random()
        f.write(b'\0' * 4096 if x < .5 else (r.choice(pool) if x < .75 else r.randbytes(4096)))
EOF

echo "[8/8] v2 = v1 + ~5% changes"
cp -a "$V1" "$V2"
$PY - "$V2" "$SCALE" <<'EOF'
import os, sys, random
root = sys.argv[1]; S = float(sys.argv[2]); R = random.Random(777); MiB = 1 << 20
def sz(n): return max(1, int(n * S))
changed = 0
# append ~1.5 MiB to each log (12 MiB)
for i in range(8):
    p = f'{root}/docs/logs/app-{i:02d}.log'
    with open(p, 'a') as f:
        s = ''.join(f'2024-07-01T00:00:{k%60:02d}Z INFO appended line {k} {R.getrandbits(64):x}\n' for k in range(sz(25000))); f.write(s); changed += len(s)
# edit 2% of source files (insert a line in the middle)
srcs = []
for d, _, fs in os.walk(f'{root}/src'):
    srcs += [os.path.join(d, f) for f in fs]
srcs.sort()
for p in R.sample(srcs, len(srcs) // 50):
    if os.path.islink(p): continue
    b = open(p, 'rb').read(); k = len(b) // 2
    open(p, 'wb').write(b[:k] + b'\n/* edited in v2 */\n' + b[k:]); changed += 20
# overwrite 4 MiB regions in two big media files
for name, off in (('video-b.mkv', sz(30 * MiB)), ('archive.tar.zst', sz(10 * MiB))):
    with open(f'{root}/media/{name}', 'r+b') as f:
        f.seek(off); f.write(R.randbytes(sz(4 * MiB))); changed += sz(4 * MiB)
# insert 100 bytes near the start of a 100 MiB file (shifts everything after it)
p = f'{root}/media/video-a.mp4'; b = open(p, 'rb').read()
open(p, 'wb').write(b[:4096] + R.randbytes(100) + b[4096:]); changed += 100
# new files: 20 MiB random + 300 new notes (~6 MiB)
with open(f'{root}/media/new-clip.mov', 'wb') as f: f.write(R.randbytes(sz(20 * MiB))); changed += sz(20 * MiB)
os.makedirs(f'{root}/docs/notes-new', exist_ok=True)
for i in range(sz(300)):
    s = ('new note %d ' % i) * R.randint(500, 2000); open(f'{root}/docs/notes-new/n{i}.txt', 'w').write(s); changed += len(s)
# delete 1% of small files
smalls = sorted(os.path.join(d, f) for d, _, fs in os.walk(f'{root}/small') for f in fs)
for p in R.sample(smalls, len(smalls) // 100): os.remove(p)
# rename one directory (path-based caches miss, content dedups)
os.rename(f'{root}/small/d00', f'{root}/small/d00-renamed')
# overwrite 1 MiB in the disk image
with open(f'{root}/vm/disk.img', 'r+b') as f: f.seek(sz(8 * MiB)); f.write(R.randbytes(sz(MiB))); changed += sz(MiB)
print(f'v2: ~{changed / MiB:.1f} MiB of new/changed bytes')
EOF
du -sh "$V1" "$V2"; echo "files v1: $(find "$V1" -type f | wc -l)  v2: $(find "$V2" -type f | wc -l)"
sync
echo "$MODE" > "$OUT/.complete"
