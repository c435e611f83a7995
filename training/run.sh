#!/bin/sh
# Reproduces PandaGPT-nano from scratch (fixed seed) into training/out/. ~50 min on 2 CPU cores.
# Needs Debian's python3-torch python3-numpy python3-pil python3-sentencepiece python3-skimage espeak-ng sox ffmpeg.
set -e
cd "$(dirname "$0")/.."
exec nice -n 10 /usr/bin/python3 training/train.py --all "$@"
