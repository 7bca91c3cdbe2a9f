#!/usr/bin/env bash
# The whole journey against the local emulator, with no person and no account: start the
# emulator, log in through its consent page (a scripted browser clicks Approve), whoami, token,
# an Admin API token, the roster, a plan granted, bulk changes from a CSV file, status, logout,
# stop. Your own config and keyring are never touched: everything lives in a
# temporary folder that is removed at the end.
set -euo pipefail

if ! command -v mighty >/dev/null 2>&1; then
    echo "demo: 'mighty' is not on PATH; activate the virtual environment first (. .venv/bin/activate)" >&2
    exit 2
fi
python_bin=$(command -v python3 || command -v python)
if ! "$python_bin" -c 'import mightycli.emulator, mightycli.emulator.browser, keyrings.alt' 2>/dev/null; then
    echo "demo: install the emulator and demo extras first: pip install '.[emulator,demo]'" >&2
    exit 2
fi

work=$(mktemp -d)
emulator_pid=""
cleanup() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
        echo "== emulator stopped"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Isolation: a throwaway config folder and a file-backed keyring inside it.
export MIGHTY_CONFIG_DIR="$work/config"
export XDG_DATA_HOME="$work/data"
export PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring
# The stand-in browser: loads the consent page, clicks Approve, follows the redirect home.
# mighty starts a browser with its output discarded, so this one keeps a log of its own,
# shown after the login, apart from mighty's messages.
cat >"$work/browser" <<BROWSER
#!/bin/sh
exec "$python_bin" -m mightycli.emulator.browser "\$1" 2>>"$work/browser.log"
BROWSER
chmod +x "$work/browser"
export BROWSER="$work/browser"

run() {
    echo
    echo "\$ $*"
    "$@"
}

echo "== starting the emulator on a free port"
mighty emulator --port 0 --quiet >"$work/emulator.url" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
    [[ -s "$work/emulator.url" ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
    sleep 0.1
done
url=$(head -n 1 "$work/emulator.url")
[[ -n "$url" ]] || { echo "demo: the emulator did not start" >&2; cat "$work/emulator.log" >&2; exit 1; }
echo "== emulator at $url"

run mighty login --network emulated --issuer "$url" --api-url "$url" \
    --client-id emulator-public-client --timeout 60
if [[ -s "$work/browser.log" ]]; then
    echo
    echo "== meanwhile, the scripted browser (its own output, not mighty's):"
    sed 's/^/   /' "$work/browser.log"
fi
run mighty whoami
token=$(mighty token)
echo
echo "\$ mighty token"
echo "${token:0:8}... (${#token} characters; printed whole when you run it)"
echo
echo "== the Admin API: the emulator's admin API token, read from standard input"
echo "\$ mighty login --with-token --network emulated --api-url $url < admin-token"
"$python_bin" -c 'from mightycli.emulator import ADMIN_API_TOKEN; print(ADMIN_API_TOKEN)' \
    | mighty login --with-token --network emulated --api-url "$url"
run mighty members list
run mighty plans grant Community alan@example.com
run mighty members plans alan@example.com
printf '%s\n' 'email,first_name,last_name,plans,spaces,tags' \
    'katherine@example.com,Katherine,Johnson,Community,Welcome,Mentor' \
    'grace@example.com,,,Community,,VIP' > "$work/cohort.csv"
echo
echo "== bulk changes from a CSV file ($work/cohort.csv): a dry run, then --send with a log"
cat "$work/cohort.csv"
run mighty apply "$work/cohort.csv"
run mighty apply "$work/cohort.csv" --send --log "$work/cohort.log"
run mighty status
run mighty logout
echo
echo "== done: logged in, used the token, granted a plan, applied a CSV file and logged out against the emulator"
