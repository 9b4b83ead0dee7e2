#!/usr/bin/env bash
# `npm start`: sets everything up (scripts/setup.sh), then runs JupyterLab on notebooks/
# from the project's own .venv, on 127.0.0.1 with a token, and prints the URL.
#   PORT=9000 npm start            another port (default: the first free one from 8888)
#   GRADLAB_TOKEN=... npm start    a fixed token (default: a new random one)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

port=${PORT:-$(.venv/bin/python - <<'PY'
import socket
for port in range(8888, 8988):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
)}
token=${GRADLAB_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')}

args=(
  --no-browser
  --ServerApp.ip=127.0.0.1
  --ServerApp.port="$port"
  --ServerApp.port_retries=0
  --ServerApp.root_dir="$PWD/notebooks"
)
if [[ $(id -u) == 0 ]]; then args+=(--allow-root); fi

url="http://127.0.0.1:$port/lab?token=$token"
echo
echo "gradlab: JupyterLab on notebooks/ at"
echo "    $url"
echo "gradlab: stop it with Ctrl-C"
echo
# The token goes through the environment (jupyter_server reads JUPYTER_TOKEN), not the command line:
# any local user can read a process's command line with ps, only its owner its environment.
export JUPYTER_TOKEN=$token
unset GRADLAB_TOKEN
exec .venv/bin/jupyter lab "${args[@]}"
