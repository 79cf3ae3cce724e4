#!/usr/bin/env bash
# `make package`: the deployable SAM template and zips in build/package.
#   RUNTIME=python3.12|python3.13 make package   builds the dependency layer for that runtime
#   STAGE=prod make package                       packages the prod stage (default dev)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
CHALICE="${CHALICE:-.venv/bin/chalice}"
OUT="${OUT:-build/package}"
STAGE="${STAGE:-dev}"
RUNTIME="${RUNTIME:-}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export PYTHONPATH="$PWD:$PWD/layers"

rm -rf "$OUT"
mkdir -p build
merge_args=(merge build/merge-template.json --stage "$STAGE")
if [ -n "$RUNTIME" ]; then merge_args+=(--runtime "$RUNTIME"); fi
"$PY" -m infra.templates "${merge_args[@]}"
"$CHALICE" package --stage "$STAGE" --merge-template build/merge-template.json "$OUT"

if [ -n "$RUNTIME" ]; then
  # Chalice built the layer for this interpreter; rebuild it for the target Lambda runtime.
  version="${RUNTIME#python}"
  layer=build/layer-$version
  rm -rf "$layer" && mkdir -p "$layer/python"
  "$PY" -m pip install --quiet --disable-pip-version-check --platform manylinux2014_x86_64 \
    --implementation cp --python-version "$version" --only-binary=:all: \
    --target "$layer/python" -r requirements.txt
  cp -R functions "$layer/python/functions"
  cp -R layers/storekit "$layer/python/storekit"
  find "$layer" -name __pycache__ -type d -prune -exec rm -rf {} +
  rm -f "$OUT/layer-deployment.zip"
  (cd "$layer" && "$OLDPWD/$PY" -c "import shutil; shutil.make_archive('layer', 'zip', '.')")
  mv "$layer/layer.zip" "$OUT/layer-deployment.zip"
fi
echo "packaged stage $STAGE (${RUNTIME:-python3.11 from this interpreter}) into $OUT"
