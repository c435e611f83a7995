#!/bin/sh
# Entry of the packed GPU check (bench/gpu/pack.ts copies this beside node and check.mjs).
# Runs on a bare glibc Linux (x86-64, glibc >= 2.34 for dawn.node) with an NVIDIA driver:
#   ./run.sh [--layers 32] [--bandwidth-gbs 3350] [--out DIR]      (./run.sh --help for all)
# It only prepares the environment Dawn's Vulkan backend needs, then hands over to check.mjs.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)

# Dawn (dawn.node, and onnxruntime-node's WebGPU EP) dlopens the Vulkan loader; a machine set up
# for CUDA only often has none, so the pack carries one, used only when the system lacks it.
if ! "$LDCONFIG" -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  echo "run.sh: no system Vulkan loader; using the packed one" >&2
fi

# NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0; containers started without the "graphics"
# driver capability may have the library but not its ICD manifest: write one if so.
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  NV=$("$LDCONFIG" -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 / { print $NF; exit }')
  if [ -n "$NV" ]; then
    ICD="${TMPDIR:-/tmp}/pandagpt-nvidia-icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$NV" >"$ICD"
    VK_ICD_FILENAMES="$ICD"
    VK_DRIVER_FILES="$ICD"
    export VK_ICD_FILENAMES VK_DRIVER_FILES
    echo "run.sh: no NVIDIA Vulkan ICD manifest; wrote $ICD for $NV" >&2
  else
    echo "run.sh: no NVIDIA Vulkan driver found (libGLX_nvidia.so.0): WebGPU will see no GPU. In a container, start it with NVIDIA_DRIVER_CAPABILITIES=all (or graphics,compute,utility)." >&2
  fi
fi

# Dawn complains (harmlessly) when this is unset.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi

exec "$HERE/node" "$HERE/check.mjs" "$@"
