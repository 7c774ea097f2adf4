#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages SwiftVTP builds against (oneDNN, libpng, libjpeg-turbo, zlib, LAPACK, Open MPI).
# Swift itself (6.x) must already be on PATH: https://www.swift.org/install/linux/
set -euo pipefail
packages=(libdnnl-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev liblapack-dev pkg-config dataset-fashion-mnist libopenmpi-dev openmpi-bin)
if ! grep -qi debian /etc/os-release 2>/dev/null; then
  packages=(libdnnl-dev libpng-dev libjpeg-turbo8-dev zlib1g-dev liblapack-dev pkg-config dataset-fashion-mnist libopenmpi-dev openmpi-bin)  # Ubuntu names libjpeg-turbo so
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
else
  echo "system packages already installed: ${packages[*]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6 first" >&2; exit 1; }
