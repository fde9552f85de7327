#!/usr/bin/env bash
# Web API benchmark, in one run, on loopback: netcount serve against nginx on
# the same machine, and the attacks of the web API's audit.
#
#   bash bench/server.sh                          # this tree's netcount
#   BEFORE=/path/to/old/netcount bash bench/server.sh   # and the attacks on an older build
#   QUICK=1 bash bench/server.sh                  # shorter runs
#
# Prints, each with the command that measured it:
#   1. wrk on /healthz: netcount against nginx's `return 200` (ratio);
#   2. /count of a 150 KB page from nginx at -c 64, cache off and on, with
#      p99 (and nginx serving that page itself, for scale);
#   3. the attacks, for each build: /healthz p99 while worst-case counts run,
#      the time SIGTERM takes to stop the server meanwhile, and /healthz
#      probes from a third address while 300 idle keep-alive connections
#      and 300 slowloris connections come from two others.
#
# Needs: nginx, wrk, curl, python3. Ratios are against baselines measured in
# the same run; absolute numbers depend on the machine (and on what else it
# is doing: wrk, the servers and the upstream share its cores).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/sbin"

for tool in nginx wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench/server.sh needs $tool" >&2; exit 1; }
done

secs=10
[[ ${QUICK:-} ]] && secs=4

echo "== build"
cargo build --release -q --bin netcount
after=$root/target/release/netcount
before=${BEFORE:-}

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/www" "$work/tmp"

echo "== pages"
python3 - "$work/www" <<'PY'
import os, random, sys
out = sys.argv[1]
rnd = random.Random(7)
filler = (b'<div class="content"><p>Lorem ipsum dolor sit amet, consectetur adipiscing '
          b'elit, sed do eiusmod tempor. NET .net <a href="/docs/">docs</a></p></div>\n')
page = bytearray()
while len(page) < 150_000:
    page += filler * rnd.randrange(1, 20) + b".NET"
with open(os.path.join(out, "page.html"), "wb") as f:
    f.write(page[:150_000])
# The worst case for the counter: a body of one repeated byte.
with open(os.path.join(out, "big.bin"), "wb") as f:
    block = b"a" * (1 << 20)
    for _ in range(64):
        f.write(block)
PY

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
nginx_port=$(free_port)
nginx_logged_port=$(free_port)
upstream_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    sendfile on;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /healthz { default_type text/plain; return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$nginx_logged_port;
        access_log $work/nginx-access.log;
        location = /healthz { default_type text/plain; return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$upstream_port;
        root $work/www;
    }
}
CONF
nginx -c "$work/nginx.conf"
upstream=127.0.0.1:$upstream_port

# Starts `netcount serve` ($1 the binary, the rest its flags) on a free
# port; sets $server_pid and $server_addr.
start_server() {
    local bin=$1
    shift
    local port
    port=$(free_port)
    "$bin" serve --listen "127.0.0.1:$port" --allow-addr "$upstream" "$@" 2>>"$work/serve.log" &
    server_pid=$!
    pids+=("$server_pid")
    server_addr=127.0.0.1:$port
    for _ in $(seq 100); do
        curl -sf "http://$server_addr/healthz" >/dev/null 2>&1 && return
        sleep 0.05
    done
    echo "netcount serve did not start: $(cat "$work/serve.log")" >&2
    exit 1
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

# wrk's requests/s and p99 (in ms) from its --latency output on stdin.
rps() { awk '/^Requests\/sec/ {print $2}'; }
p99_ms() {
    awk '$1 == "99%" {
        v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v);
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
        p99 = sprintf("%.2f ms", v) }
    /^Requests\/sec/ && $2 == 0 { none = 1 }
    END { if (none || p99 == "") print "none (no answer within the run)"; else print p99 }'
}
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# wrk with its command echoed; output in $work/wrk.out.
run_wrk() {
    echo "\$ wrk $*" | sed "s#$work#\$work#g"
    wrk "$@" > "$work/wrk.out"
    grep -E "Requests/sec|Non-2xx|Socket errors|  99%" "$work/wrk.out" | sed 's/^/    /'
}

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# wrk is one client address: it gets the whole table, not the
# per-address share (32 by default).
one_client=(--max-connections-per-ip 256)

# The median of three runs, interleaved with the baseline's, so that
# whatever else the machine does hits both alike.
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

echo
echo "== 1. /healthz: netcount against nginx return 200 ($secs s, -t2 -c64, median of 3), each at its defaults"
for log in off on; do
    base=(); ours=()
    nginx_url=http://127.0.0.1:$nginx_port/healthz
    [[ $log == on ]] && nginx_url=http://127.0.0.1:$nginx_logged_port/healthz
    format=off
    [[ $log == on ]] && format=text
    start_server "$after" "${one_client[@]}" --access-log "$format"
    for _ in 1 2 3; do
        run_wrk -t2 -c64 -d"${secs}s" --latency "$nginx_url"
        base+=("$(rps < "$work/wrk.out")")
        run_wrk -t2 -c64 -d"${secs}s" --latency "http://$server_addr/healthz"
        ours+=("$(rps < "$work/wrk.out")")
    done
    stop_server
    b=$(median "${base[@]}"); o=$(median "${ours[@]}")
    echo "access log $log$([[ $log == on ]] && echo ' (both to a file)'): nginx $b req/s," \
        "netcount $o req/s: $(ratio "$o" "$b")x"
done

echo
echo "== 2. /count of a 150 KB page at -c64 ($secs s)"
count_path="/count?url=$(enc "http://$upstream/page.html")"
run_wrk -t2 -c64 -d"${secs}s" --latency "http://$upstream/page.html"
static_rps=$(rps < "$work/wrk.out")
start_server "$after" "${one_client[@]}" --access-log off
run_wrk -t2 -c64 -d"${secs}s" --latency "http://$server_addr$count_path"
off_rps=$(rps < "$work/wrk.out")
off_p99=$(p99_ms < "$work/wrk.out")
stop_server
# Every request a different URL (a query nginx ignores): no two share a
# fetch, each is fetched and counted.
cat > "$work/distinct.lua" <<LUA
request = function()
    local url = "http://$upstream/page.html?n=" .. math.random(1, 1000000000)
    return wrk.format(nil, "/count?url=" .. url:gsub("[:/?=]", function(c)
        return string.format("%%%02X", string.byte(c)) end))
end
LUA
start_server "$after" "${one_client[@]}" --access-log off
run_wrk -t2 -c64 -d"${secs}s" --latency -s "$work/distinct.lua" "http://$server_addr/"
each_rps=$(rps < "$work/wrk.out")
each_p99=$(p99_ms < "$work/wrk.out")
stop_server
start_server "$after" "${one_client[@]}" --access-log off --cache-ttl 60
run_wrk -t2 -c64 -d"${secs}s" --latency "http://$server_addr$count_path"
on_rps=$(rps < "$work/wrk.out")
on_p99=$(p99_ms < "$work/wrk.out")
stop_server
echo "nginx serving the page: $static_rps req/s"
echo "cache off, every URL different (each request fetches): $each_rps req/s, p99 $each_p99" \
    "($(ratio "$each_rps" "$static_rps")x nginx's page rate)"
echo "cache off, one URL (identical requests in flight share a fetch): $off_rps req/s, p99 $off_p99"
echo "cache on, one URL: $on_rps req/s, p99 $on_p99 ($(ratio "$on_rps" "$off_rps")x cache off," \
    "$(ratio "$on_rps" "$each_rps")x every URL different)"

# The attacks, on one build ($1: label, $2: binary, rest: flags only
# this tree's build knows).
attacks() {
    local label=$1 bin=$2
    shift 2
    echo
    echo "== 3. attacks on $label"

    # (a) Worst-case counts: an overlapping needle of 8,000 `a` over 64 MiB
    # of `a`, two at a time, again and again; /healthz meanwhile.
    local needle
    needle=$(python3 -c 'print("a" * 8000)')
    local target="http://$upstream/big.bin"
    start_server "$bin" "$@"
    local url="http://$server_addr/count?url=$(enc "$target")&needle=$needle&overlapping=1"
    echo "\$ curl '/count?url=.../big.bin&needle=<8000 x a>&overlapping=1' (64 MiB of a), two in a loop"
    for _ in 1 2; do
        (while true; do curl -s -m 120 -o /dev/null -w '%{http_code} %{time_total}\n' "$url" >> "$work/counts.log"; done) &
        pids+=("$!")
    done
    sleep 1
    run_wrk -t1 -c4 -d"${secs}s" --timeout 60s --latency "http://$server_addr/healthz"
    local p99 rps_
    p99=$(p99_ms < "$work/wrk.out")
    rps_=$(rps < "$work/wrk.out")
    local started stopped
    started=$(date +%s.%N)
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    stopped=$(date +%s.%N)
    local loops=("${pids[@]: -2}")
    kill "${loops[@]}" 2>/dev/null || true
    wait "${loops[@]}" 2>/dev/null || true
    local sigterm
    sigterm=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$stopped")
    local done_counts
    done_counts=$(awk '$1 == 200' "$work/counts.log" 2>/dev/null | wc -l)
    local count_time
    count_time=$(awk '$1 == 200 {s += $2; n++} END {if (n) printf "%.2f s", s / n; else print "none finished"}' "$work/counts.log" 2>/dev/null)
    rm -f "$work/counts.log"
    echo "$label: /healthz p99 $p99 ($rps_ req/s) during worst-case counts;" \
        "counts finished: $done_counts (mean $count_time); SIGTERM to exit: $sigterm s"

    # (b) Crowds: 300 idle keep-alive connections from 127.0.0.2, 300
    # slowloris from 127.0.0.3; 50 /healthz probes from 127.0.0.4, each
    # allowed 1 s.
    start_server "$bin" "$@"
    echo "\$ python3 crowds.py $server_addr   # 300 idle from .2, 300 slowloris from .3, 50 probes from .4"
    python3 - "$server_addr" <<'PY'
import socket, sys, threading, time
host, port = sys.argv[1].split(":")
port = int(port)

def connect(source):
    s = socket.socket()
    s.bind((source, 0))
    s.connect((host, port))
    return s

idle, slow = [], []
for _ in range(300):
    try:
        s = connect("127.0.0.2")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        s.settimeout(2)
        s.recv(4096)
        idle.append(s)
    except OSError:
        pass
for _ in range(300):
    try:
        s = connect("127.0.0.3")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: ")
        slow.append(s)
    except OSError:
        pass

stop = False
def drip():
    while not stop:
        for s in slow:
            try:
                s.send(b"a")
            except OSError:
                pass
        time.sleep(1)
threading.Thread(target=drip, daemon=True).start()

answered, statuses = 0, {}
for _ in range(50):
    started = time.monotonic()
    status = "none"
    try:
        s = connect("127.0.0.4")
        s.settimeout(1.0)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = b""
        while time.monotonic() - started < 1.0:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        status = data[9:12].decode() or "closed"
        if status == "200" and time.monotonic() - started <= 1.0:
            answered += 1
        s.close()
    except OSError as e:
        status = "timeout" if isinstance(e, socket.timeout) else "error"
    statuses[status] = statuses.get(status, 0) + 1
    time.sleep(0.1)
stop = True
print(f"    /healthz from a third address: {answered}/50 answered 200 within 1 s; statuses {statuses}")
PY
    stop_server
}

if [[ -n $before ]]; then
    attacks "before ($before)" "$before"
fi
attacks "this build" "$after" --access-log off
if [[ ${PER_IP_OFF:-} ]]; then
    attacks "this build, per-address cap off" "$after" --access-log off --max-connections-per-ip 256
fi
