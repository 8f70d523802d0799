#!/usr/bin/env bash
# Gradescope image setup (Ubuntu 22.04 or 24.04 base images): the grader gets a virtual environment of its own,
# ROOT/venv, on the Python minor version that built the zip (ROOT/source/python-version) with the exact package
# versions of ROOT/source/requirements.lock (the whole closure, installed with --no-deps). The image's python3 and
# its packages are never modified: uv (a PyPI package) is unpacked into ROOT/.uv and provisions the interpreter.
#
#   OPSGRADE_AUTOGRADER_ROOT  root laid out as Gradescope's /autograder (default /autograder)
#   OPSGRADE_SETUP_PYTHON     build the venv from this interpreter instead of a uv-managed one (same minor version)
#   OPSGRADE_UV               an existing uv executable to use
#   setup.sh --plan           print the chosen strategy ("python PATH" or "uv MINOR") and exit, installing nothing
#
# Every step that can fail says what it is doing before it starts; if it fails, the log's last lines name the step
# and what to do about it.
set -euo pipefail

STEP="reading the zip's python-version"
HINT="upload the zip that opsgrade build wrote (dist/<name>/autograder/<name>-autograder.zip), unmodified"
finish() {  # on any failure: the last lines of the log say which step failed and what to do
  local code=$?
  if [ "$code" -ne 0 ]; then
    echo "setup.sh: FAILED while $STEP (exit status $code)." >&2
    echo "setup.sh: what to do: $HINT" >&2
  fi
}
trap finish EXIT
step() { STEP="$1"; HINT="$2"; echo "setup.sh: $STEP" >&2; }  # step WHAT HINT: announce the next step

ROOT="${OPSGRADE_AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
VENV="$ROOT/venv"
UVDIR="$ROOT/.uv"
LOCK="$SRC/requirements.lock"
WANT="$(tr -d '[:space:]' < "$SRC/python-version")"

say() { echo "setup.sh: $*" >&2; }
die() { say "$*"; exit 1; }

minor_of() {  # the X.Y version of interpreter $1, or nothing
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

plan() {  # how the venv will be built: "python PATH" or "uv X.Y"
  if [ -n "${OPSGRADE_SETUP_PYTHON:-}" ]; then
    local have
    have="$(minor_of "$OPSGRADE_SETUP_PYTHON")"
    [ -n "$have" ] || die "OPSGRADE_SETUP_PYTHON=$OPSGRADE_SETUP_PYTHON does not run"
    [ "$have" = "$WANT" ] || die "OPSGRADE_SETUP_PYTHON is Python $have; the zip was built with $WANT"
    echo "python $OPSGRADE_SETUP_PYTHON"
  else
    echo "uv $WANT"
  fi
}

find_uv() {  # an existing uv, or nothing
  if [ -n "${OPSGRADE_UV:-}" ]; then echo "$OPSGRADE_UV"; return; fi
  if [ -x "$UVDIR/bin/uv" ]; then echo "$UVDIR/bin/uv"; return; fi
  command -v uv 2>/dev/null || true
}

fetch_uv() {  # unpack uv from PyPI into $UVDIR/bin/uv without touching any interpreter's packages
  mkdir -p "$UVDIR/bin"
  local sys_py pin
  pin="$(tr -d '[:space:]' < "$SRC/uv-version" 2>/dev/null || true)"  # the build's uv; newest when absent
  sys_py="$(command -v python3 || true)"
  if [ -z "$sys_py" ]; then
    say "no python3 on the image: installing the distribution's python3 (packages of it are not modified)"
    apt-get update >&2 && apt-get install -y --no-install-recommends python3 ca-certificates >&2
    sys_py="$(command -v python3)"
  fi
  if "$sys_py" -m pip --version >/dev/null 2>&1 \
      && "$sys_py" -m pip install --disable-pip-version-check --no-cache-dir --target "$UVDIR/pkg" \
        "uv${pin:+==$pin}" >&2; then
    ln -sf "$UVDIR/pkg/bin/uv" "$UVDIR/bin/uv"
  else  # no pip (or it failed): the wheel is a zip, so the standard library can unpack the binary
    say "pip unavailable; downloading the uv wheel with the standard library"
    "$sys_py" - "$UVDIR/bin/uv" "$pin" >&2 <<'PY'
import io, json, os, platform, sys, urllib.parse, urllib.request, zipfile
arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine().lower()]
index, pin = "https://pypi.org/pypi/uv/json", sys.argv[2]
info = json.load(urllib.request.urlopen(index, timeout=60))
files = info.get("releases", {}).get(pin) if pin else info["urls"]
if not files:  # the JSON API's per-release lists are deprecated: the simple API (PEP 691) lists every file
    simple = urllib.request.Request("https://pypi.org/simple/uv/",
                                    headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    files = [f for f in json.load(urllib.request.urlopen(simple, timeout=60))["files"]
             if f["filename"].startswith(f"uv-{pin}-")]
wheel = next(f for f in files if f["filename"].endswith(".whl") and "manylinux" in f["filename"]
             and arch in f["filename"] and "musl" not in f["filename"])
data = urllib.request.urlopen(urllib.parse.urljoin(index, wheel["url"]), timeout=120).read()
with zipfile.ZipFile(io.BytesIO(data)) as zf:
    name = next(n for n in zf.namelist() if n.endswith("/scripts/uv"))
    with open(sys.argv[1], "wb") as out:
        out.write(zf.read(name))
os.chmod(sys.argv[1], 0o755)
PY
  fi
  [ -x "$UVDIR/bin/uv" ] || die "could not install uv"
  echo "$UVDIR/bin/uv"
}

if [ "${1:-}" = "--plan" ]; then plan; exit 0; fi

STEP="choosing the interpreter for Python $WANT"
HINT="OPSGRADE_SETUP_PYTHON must name a Python $WANT interpreter that runs (or leave it unset to let uv provide one)"
STRATEGY="$(plan)"
start=$SECONDS
UV_HINT="uv comes from PyPI: check that the image reaches PyPI (the log above shows pip's or Python's error), then \
rebuild the autograder on Gradescope; source/uv-version names the uv release the zip asks for"
rm -rf "$VENV"
# everything uv writes stays under ROOT/.uv: the interpreter, its cache, and the python3.X links that recent uv
# versions would otherwise put in ~/.local/bin; the interpreter's standard library is compiled once, here
export UV_CACHE_DIR="${UV_CACHE_DIR:-$UVDIR/cache}" UV_PYTHON_INSTALL_DIR="$UVDIR/python" UV_NO_CONFIG=1 \
  UV_PYTHON_BIN_DIR="$UVDIR/python-bin" UV_COMPILE_BYTECODE=1
case "$STRATEGY" in
  python\ *)
    PY="${STRATEGY#python }"
    UV="$(find_uv)"
    step "creating the venv $VENV from $PY" "check that $PY runs and has the venv module (Debian/Ubuntu: \
apt-get install python$WANT-venv)"
    if [ -n "$UV" ]; then
      "$UV" venv --python "$PY" "$VENV"
      step "installing requirements.lock into $VENV" "a locked package could not be installed (the error is \
above): check the network, or rebuild the zip with opsgrade build in an environment whose packages exist for Linux"
      "$UV" pip install --compile-bytecode --python "$VENV/bin/python" --no-deps -r "$LOCK"
    else
      "$PY" -m venv "$VENV"
      step "installing requirements.lock into $VENV" "a locked package could not be installed (the error is \
above): check the network, or rebuild the zip with opsgrade build in an environment whose packages exist for Linux"
      "$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps -r "$LOCK"
    fi
    ;;
  uv\ *)
    step "getting uv" "$UV_HINT"
    UV="$(find_uv)"
    [ -n "$UV" ] || UV="$(fetch_uv)"
    step "installing Python $WANT with uv (a python-build-standalone download)" "the interpreter download failed \
(uv's error is above): rebuild the autograder on Gradescope to retry, or give setup a Python $WANT that is already \
on the image with OPSGRADE_SETUP_PYTHON=/path/to/python$WANT"
    "$UV" python install "$WANT"
    step "creating the venv $VENV on Python $WANT" "uv's error is above; rebuild the autograder on Gradescope to retry"
    "$UV" venv --python "$WANT" --python-preference only-managed "$VENV"
    step "installing requirements.lock into $VENV" "a locked package could not be installed (the error is above): \
check the network, or rebuild the zip with opsgrade build in an environment whose packages exist for Linux"
    "$UV" pip install --compile-bytecode --python "$VENV/bin/python" --no-deps -r "$LOCK"
    ;;
esac

# matplotlib's font cache (built on its first import: seconds) lives in the root, not in the image's home;
# run_autograder points MPLCONFIGDIR at the same folder
export MPLCONFIGDIR="$ROOT/.matplotlib"
mkdir -p "$MPLCONFIGDIR"
# every submission starts from this image: compile the grader's bytecode now, not once per submission
step "compiling the grader and loading the hidden suite" "the grader does not import in the new venv (the error is \
above): rebuild the zip with opsgrade build and upload it again"
"$VENV/bin/python" -m compileall -q -j 0 "$SRC/grader" "$SRC/opsmath" >/dev/null
# and pytest's assertion-rewritten bytecode of the hidden suite (written on its first collection), and matplotlib's
# font cache (built on its first import: seconds)
(cd "$SRC" && MPLBACKEND=Agg "$VENV/bin/python" -c 'import json; import matplotlib.pyplot
from grader.runner import collect_questions
collect_questions(json.load(open("assignment.json"))["assignment"])')

# the environment must hold exactly the locked versions and be the locked minor version
step "checking the venv against requirements.lock" "the venv does not hold the locked versions (listed above): \
rebuild the zip with opsgrade build and upload it again"
"$VENV/bin/python" - "$LOCK" "$WANT" <<'PY'
import sys
from importlib import metadata
lock, want = sys.argv[1], sys.argv[2]
have = "%d.%d" % sys.version_info[:2]
bad = [] if have == want else [f"python {have} != {want}"]
for line in open(lock, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        try:
            got = metadata.version(name)
        except metadata.PackageNotFoundError:
            got = "missing"
        if got != version:
            bad.append(f"{name} {got} != {version}")
if bad:
    sys.exit("setup.sh: environment does not match the lock: " + "; ".join(bad))
PY
# the sandboxed child runs under a uid of its own (grader/sandbox/isolation.py): it must be able to import from the
# interpreter and the venv, and nothing else here; run_autograder makes source/ and results/ root-only
step "opening the venv to the sandbox's own user" "check that $ROOT is on a filesystem that allows chmod"
chmod o+x "$ROOT"
chmod -R a+rX "$VENV"
if [ -d "$UV_PYTHON_INSTALL_DIR" ]; then chmod o+x "$UVDIR"; chmod -R a+rX "$UV_PYTHON_INSTALL_DIR"; fi
say "grader environment ready in $((SECONDS - start)) s: $("$VENV/bin/python" -V) at $VENV ($STRATEGY)"
