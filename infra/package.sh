#!/usr/bin/env bash
# `make package`: the deployable SAM template and zips in build/package.
#   make package                                  targets Lambda's python3.13 runtime
#   RUNTIME=python3.12 make package               targets python3.12 instead
#   RUNTIME=local make package                    this interpreter's version (tests import that build)
#   STAGE=prod make package                       packages the prod stage (default dev)
#   OUT=dir                                       where to write (default build/package)
# Dependency wheels are downloaded once per requirements.txt into build/wheels/ and reused offline.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
CHALICE="${CHALICE:-.venv/bin/chalice}"
OUT="${OUT:-build/package}"
STAGE="${STAGE:-dev}"
RUNTIME="${RUNTIME:-python3.13}"
case "$RUNTIME" in
  python3.12 | python3.13 | local) ;;
  *) echo "RUNTIME must be python3.13 (the default) or python3.12 (got $RUNTIME)" >&2; exit 2 ;;
esac
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export PYTHONPATH="$PWD:$PWD/layers"
PLATFORM=manylinux2014_x86_64

# wheelhouse X.Y: sets WHEELS to a folder with Lambda-compatible wheels of requirements.txt for
# CPython X.Y, downloading them only when requirements.txt changed since the last download.
wheelhouse() {
  WHEELS="$PWD/build/wheels/cp${1/./}-$PLATFORM"
  local stamp
  stamp="$(sha256sum requirements.txt | cut -c1-32)"
  if [ "$(cat "$WHEELS/.requirements" 2>/dev/null)" != "$stamp" ]; then
    echo "downloading wheels for Python $1 into $WHEELS"
    rm -rf "$WHEELS" && mkdir -p "$WHEELS"
    # pure-Python requirements published only as source (geoip2fast): built into wheels first,
    # which then satisfy the platform download below
    "$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$WHEELS" \
      $(grep -E '^geoip2fast' requirements.txt)
    "$PY" -m pip download --quiet --disable-pip-version-check --dest "$WHEELS" --find-links "$WHEELS" \
      --platform "$PLATFORM" --implementation cp --python-version "$1" --only-binary=:all: -r requirements.txt
    echo "$stamp" >"$WHEELS/.requirements"
  fi
}

# drop_runtime_provided ZIP: remove boto3/botocore/s3transfer (pulled in by aws-xray-sdk) from a
# layer zip. The Lambda runtime provides them; a copy in the layer would shadow the runtime's
# botocore under its boto3 and add ~13 MB to every cold start.
drop_runtime_provided() {
  "$PY" - "$1" <<'EOF'
import os, re, sys, zipfile

path = sys.argv[1]
provided = re.compile(r"^python/(lib/python3\.\d+/site-packages/)?(boto3|botocore|s3transfer)(-[^/]+\.dist-info)?/")
with zipfile.ZipFile(path) as src, zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        if not provided.search(info.filename):
            dst.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
os.replace(path + ".tmp", path)
EOF
}

# interpreter X.Y: prints the path of a CPython X.Y on this machine (PATH, then pyenv), or fails.
interpreter() {
  local candidate
  for candidate in "$(command -v "python$1" || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/"python$1"; do
    if [ -x "$candidate" ] && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$1" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# precompile ZIP X.Y: add bytecode for every .py in ZIP, compiled by CPython X.Y (the Lambda
# runtime's version). Lambda's code directory is read-only, so without it every cold start
# compiles storeflow and its dependencies from source again. unchecked-hash bytecode is never
# re-validated against the source's mtime, which zip extraction does not keep exactly.
precompile() {
  local py tree
  if ! py="$(interpreter "$2")"; then
    echo "WARNING: no CPython $2 on this machine: $(basename "$1") ships without bytecode" >&2
    return 0
  fi
  tree="$(mktemp -d)"
  "$PY" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$1" "$tree"
  find "$tree" -name __pycache__ -type d -prune -exec rm -rf {} +
  # a few packages ship .py files that are not meant to compile (templates, py2 leftovers)
  "$py" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$tree" >/dev/null || true
  rm -f "$1"
  "$PY" -c "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])" "${1%.zip}" "$tree"
  rm -rf "$tree"
}

rm -rf "$OUT"
mkdir -p build
local_version="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$RUNTIME" = local ]; then RUNTIME="python$local_version"; fi
merge_args=(merge build/merge-template.json --stage "$STAGE")
if [ "$RUNTIME" != "python$local_version" ]; then merge_args+=(--runtime "$RUNTIME"); fi
"$PY" -m infra.templates "${merge_args[@]}"

# Chalice builds its layer for this interpreter (from .chalice/deployments when nothing changed).
wheelhouse "$local_version"
if ! PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" \
  "$CHALICE" package --stage "$STAGE" --merge-template build/merge-template.json "$OUT"; then
  echo "offline build from $WHEELS failed; retrying with the package index" >&2
  rm -rf "$OUT"
  "$CHALICE" package --stage "$STAGE" --merge-template build/merge-template.json "$OUT"
fi
if [ "$RUNTIME" = "python$local_version" ]; then
  drop_runtime_provided "$OUT/layer-deployment.zip"
else
  # rebuild the layer for the target runtime: its wheels, plus functions/ and storekit/
  version="${RUNTIME#python}"
  wheelhouse "$version"
  layer="build/layer-$version"
  rm -rf "$layer" && mkdir -p "$layer/python"
  # --no-warn-conflicts: pip would compare the target's botocore with this venv's boto3
  "$PY" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --no-index --find-links "$WHEELS" \
    --platform "$PLATFORM" --implementation cp --python-version "$version" --only-binary=:all: \
    --target "$layer/python" -r requirements.txt
  rm -rf "$layer"/python/{boto3,botocore,s3transfer}{,-*.dist-info} "$layer/python/bin"
  cp -R functions "$layer/python/functions"
  cp -R layers/storekit "$layer/python/storekit"
  find "$layer" -name __pycache__ -type d -prune -exec rm -rf {} +
  rm -f "$OUT/layer-deployment.zip"
  "$PY" -c "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])" \
    "$OUT/layer-deployment" "$layer"
fi

precompile "$OUT/layer-deployment.zip" "${RUNTIME#python}"
precompile "$OUT/deployment.zip" "${RUNTIME#python}"

# Chalice keeps a 25 MB layer zip per code change in .chalice/deployments: keep the newest few.
for kind in managed-layer appcode; do
  find .chalice/deployments -maxdepth 1 -name "$kind-*.zip" -printf '%T@ %p\n' 2>/dev/null |
    sort -rn | tail -n +5 | cut -d' ' -f2- | xargs -r rm -f
done
echo "packaged stage $STAGE ($RUNTIME) into $OUT"
