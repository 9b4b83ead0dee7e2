#!/usr/bin/env bash
# The class image without Docker: runs binder/'s steps the way repo2docker runs them, on this
# machine, so that a real JupyterHub (test/hub) can serve it to real Unix users. Root only.
#
#   scripts/class-image.sh build     (re)build it from this checkout's files
#   scripts/class-image.sh remove    remove the prefix and the image user
#
# What stands for what (repo2docker, built with --target-repo-dir=/srv/repo; see docs/class.md):
#   the image user $NB_USER (jovyan)           a Unix user made by adduser:  $GRADLAB_IMAGE_USER (glimage)
#   $NB_PYTHON_PREFIX (/srv/conda/envs/notebook) a venv of the system Python: $GRADLAB_CLASS_PREFIX/env
#   $REPO_DIR (/srv/repo)                      the checkout's files (tracked and new, not ignored): $GRADLAB_CLASS_PREFIX/repo
# Both folders belong to the image user, as repo2docker chowns its own, and are world-readable:
# students read and run them, and cannot change them. The steps, as the image user:
#   1. pip install -r binder/requirements.txt into the environment (repo2docker's requirements step)
#   2. binder/postBuild in $REPO_DIR
# binder/start is then the first word of every student server's command (test/hub's config).
# Pip's and npm's downloads go to $GRADLAB_CLASS_CACHE (default /var/cache/gradlab-class, owned by the
# image user: a checkout may sit in a folder the image user cannot enter, as mktemp -d makes them);
# `remove` deletes it too unless GRADLAB_CLASS_CACHE was given (then it is kept between builds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PREFIX=${GRADLAB_CLASS_PREFIX:-/opt/gradlab-class}
IMAGE_USER=${GRADLAB_IMAGE_USER:-glimage}
CACHE=${GRADLAB_CLASS_CACHE:-/var/cache/gradlab-class}
PYTHON=${GRADLAB_CLASS_PYTHON:-/usr/bin/python3}
say() { echo "class-image: $*"; }

if [[ $(id -u) != 0 ]]; then
  echo "class-image: must run as root (it makes a Unix user and $PREFIX)" >&2
  exit 1
fi
export PATH=$PATH:/usr/sbin:/sbin
# One build or removal at a time on this machine (a test run and a benchmark may both ask).
exec 9>/run/gradlab-class-image.lock
flock 9

remove() {
  if id -u "$IMAGE_USER" >/dev/null 2>&1; then
    pkill -KILL -u "$IMAGE_USER" 2>/dev/null || true
    userdel -r "$IMAGE_USER" 2>/dev/null || userdel "$IMAGE_USER"
  fi
  rm -rf "$PREFIX"
  if [[ -z ${GRADLAB_CLASS_CACHE:-} ]]; then rm -rf "$CACHE"; fi
}

# The machine's own settings for reaching the package registries (certificates, proxies, mirrors)
# pass through, as a docker build's network would have them.
NET_VARS=()
for v in $(compgen -e); do
  case $v in
    *_proxy | *_PROXY | SSL_CERT_* | NODE_EXTRA_CA_CERTS | REQUESTS_CA_BUNDLE | CURL_CA_BUNDLE | PIP_CERT | PIP_FIND_LINKS | \
      PIP_INDEX_URL | PIP_EXTRA_INDEX_URL | PIP_DEFAULT_TIMEOUT | npm_config_registry | npm_config_cafile)
      NET_VARS+=("$v=${!v}") ;;
  esac
done

# as_image_user COMMAND...: runs in $REPO_DIR with the environment repo2docker's build gives.
as_image_user() {
  runuser -u "$IMAGE_USER" -- env -i "${NET_VARS[@]}" \
    HOME="/home/$IMAGE_USER" USER="$IMAGE_USER" NB_USER="$IMAGE_USER" LANG=C.UTF-8 \
    NB_PYTHON_PREFIX="$PREFIX/env" KERNEL_PYTHON_PREFIX="$PREFIX/env" REPO_DIR="$PREFIX/repo" \
    PATH="$PREFIX/env/bin:/usr/local/bin:/usr/bin:/bin" \
    PIP_CACHE_DIR="$CACHE/pip" npm_config_cache="$CACHE/npm" \
    bash -c 'cd "$REPO_DIR" && exec "$@"' bash "$@"
}

build() {
  local start=$SECONDS
  remove
  say "image user $IMAGE_USER, prefix $PREFIX"
  adduser --quiet --disabled-password --gecos "" "$IMAGE_USER" >/dev/null
  install -d -m 0755 -o "$IMAGE_USER" -g "$IMAGE_USER" "$PREFIX" "$PREFIX/repo"
  mkdir -p "$CACHE/pip" "$CACHE/npm"
  chown -R "$IMAGE_USER:$IMAGE_USER" "$CACHE"

  # The repository's copy: what a clone of this working tree would hold (tracked and new files,
  # deleted ones left out, ignored ones too).
  git ls-files -z -co --exclude-standard |
    python3 -c 'import os, sys; sys.stdout.write("".join(p + "\0" for p in sys.stdin.read().split("\0") if p and os.path.lexists(p)))' |
    tar --null -T - -cf - | tar -xf - -C "$PREFIX/repo"
  chown -R "$IMAGE_USER:$IMAGE_USER" "$PREFIX/repo"

  say "environment: $PYTHON -m venv + pip install -r binder/requirements.txt"
  as_image_user "$PYTHON" -m venv "$PREFIX/env"
  if ! as_image_user "$PREFIX/env/bin/pip" install --disable-pip-version-check -q -r binder/requirements.txt \
    >"$CACHE/pip-install.log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$CACHE/pip-install.log" >&2 || true
    echo "class-image: pip install failed" >&2
    exit 1
  fi
  say "pip: $((SECONDS - start)) s; binder/postBuild"
  as_image_user ./binder/postBuild
  chmod -R a+rX "$PREFIX"
  say "built in $((SECONDS - start)) s: $(du -sh "$PREFIX" | cut -f1)"
}

case ${1:-} in
  build) build ;;
  remove) remove ;;
  *) echo "usage: scripts/class-image.sh build|remove" >&2; exit 2 ;;
esac
