#!/usr/bin/env bash
# A private nginx in front of gateway workers, everything under DIR (config, pid, logs, temp files):
#   nginx.sh render DIR LISTEN WORKER...   write DIR/nginx.conf (LISTEN e.g. 127.0.0.1:8443, WORKER e.g. 127.0.0.1:8081)
#   nginx.sh start DIR LISTEN WORKER...    render, then start nginx in the background (pid in DIR/nginx.pid)
#   nginx.sh stop DIR                      stop it
# Tests run it in the foreground instead: nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'
# NGINX_PREFIX renders for an nginx that writes under another folder than DIR (the compose stack's
# nginx container: deploy/compose/configure.sh).
set -euo pipefail
action=$1
dir=$(realpath -m "$2")
prefix=${NGINX_PREFIX:-$dir}
here=$(cd "$(dirname "$0")" && pwd)
nginx=$(command -v nginx || echo /usr/sbin/nginx)

render() {
    local listen=$1; shift
    local servers=""
    for worker in "$@"; do
        servers+="        server $worker max_fails=1 fail_timeout=5s;"$'\n'
    done
    mkdir -p "$dir"
    [ "$prefix" != "$dir" ] || mkdir -p "$dir/tmp"
    python3 - "$here/nginx.conf.template" "$dir/nginx.conf" "$prefix" "$listen" "$servers" <<'PY'
import sys
template, out, directory, listen, servers = sys.argv[1:6]
text = open(template).read()
text = text.replace("@SERVERS@\n", servers).replace("@DIR@", directory).replace("@LISTEN@", listen)
open(out, "w").write(text)
PY
}

case $action in
render)
    render "${@:3}"
    ;;
start)
    render "${@:3}"
    "$nginx" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    if [ -f "$dir/nginx.pid" ] && kill -0 "$(cat "$dir/nginx.pid")" 2>/dev/null; then
        "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload
    else
        "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    fi
    ;;
stop)
    if [ -f "$dir/nginx.pid" ] && kill -0 "$(cat "$dir/nginx.pid")" 2>/dev/null; then
        kill -QUIT "$(cat "$dir/nginx.pid")"
        for _ in $(seq 1 50); do kill -0 "$(cat "$dir/nginx.pid" 2>/dev/null || echo 0)" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/nginx.pid"
    ;;
*)
    echo "usage: $0 render|start DIR LISTEN WORKER... | stop DIR" >&2
    exit 2
    ;;
esac
