#!/usr/bin/env bash
# JupyterLab settings for one Jupyter environment (a sys.prefix): tslab has no debugger (every run
# would log "No active debugger session"); no news, no update checks, no extension manager reaching
# PyPI, so the lab stays offline and quiet. Used by scripts/setup.sh (.venv) and binder/postBuild
# (the class image's environment).
#   scripts/lab-settings.sh PREFIX
set -euo pipefail
prefix=${1:?usage: lab-settings.sh PREFIX}

mkdir -p "$prefix/etc/jupyter/labconfig" "$prefix/share/jupyter/lab/settings"
# (LabApp reads jupyter_lab_config.*, not the server's config.d folder.)
cat >"$prefix/etc/jupyter/jupyter_lab_config.json" <<'JSON'
{
  "LabApp": {
    "news_url": null,
    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
    "extension_manager": "readonly"
  }
}
JSON
cat >"$prefix/etc/jupyter/labconfig/page_config.json" <<'JSON'
{
  "disabledExtensions": {
    "@jupyterlab/debugger-extension": true
  }
}
JSON
cat >"$prefix/share/jupyter/lab/settings/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {
    "checkForUpdates": false,
    "fetchNews": "false"
  }
}
JSON
