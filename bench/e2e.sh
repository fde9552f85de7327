#!/usr/bin/env bash
# End-to-end benchmark: netcount against curl, grep, rg and a read-and-discard
# reader, all fetching the same bodies from nginx on loopback, in one run.
#
#   bash bench/e2e.sh            # everything (takes a few minutes)
#   QUICK=1 bash bench/e2e.sh    # fewer hyperfine runs
#   ONLY=rtt bash bench/e2e.sh   # only "20 HTTPS pages through 50 ms RTT" and
#                                # "1,000 URLs of one origin, pooling on vs off"
#   ONLY=regex bash bench/e2e.sh # only "a regular expression over one line":
#                                # netcount -e against curl | rg -a -o | wc -l
#                                # (and curl | rg --count-matches) on a 256 MiB
#                                # body without a newline, and both sides'
#                                # peak RSS on a 1 GiB one
#
# Needs: nginx, curl, hyperfine, ripgrep, openssl, GNU time (installed with
# apt-get when missing and running as root). Prints counts (which must all
# agree before anything is timed), times, and ratios against baselines
# measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need=()
for tool in nginx:nginx curl:curl hyperfine:hyperfine rg:ripgrep openssl:openssl /usr/bin/time:time python3:python3; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if ((${#need[@]})); then
    echo "installing: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

runs=10
[[ ${QUICK:-} ]] && runs=3
# Which sections run: all of them, or the one ONLY names. "throughput" is the
# loopback sections with 256 MiB and 1 GiB bodies.
throughput=1 rtt=1 regex=1
case ${ONLY:-} in
    "") ;;
    rtt) throughput= regex= ;;
    regex) throughput= rtt= ;;
    *) echo "ONLY must be rtt or regex, not ${ONLY}" >&2; exit 2 ;;
esac
# Seconds a single run on the 1 GiB one-line body may take before it is
# reported as timed out.
limit=600

echo "== build"
cargo build --release -q
if [[ $throughput ]]; then (cd bench/reader && cargo build --release -q); fi
if [[ $rtt ]]; then (cd bench/latency && cargo build --release -q); fi
netcount=$root/target/release/netcount
reader=$root/bench/reader/target/release/netcount-bench-reader
latency=$root/bench/latency/target/release/netcount-bench-latency

work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) $(cat "$work"/proxy*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/www" "$work/tmp"

echo "== corpora"
python3 - "$work/www" "$throughput" "$rtt" "$regex" <<'PY'
import random, sys, os
out = sys.argv[1]
throughput, rtt, regex = (arg == "1" for arg in sys.argv[2:5])
filler = (b'<div class="content"><p>Lorem ipsum dolor sit amet, consectetur adipiscing '
          b'elit, sed do eiusmod tempor. NET .net <a href="/docs/">docs</a></p></div>\n')
def make(name, size, every):
    rnd = random.Random(7)
    block = bytearray()
    # Build a 4 MiB block, then repeat it: fast, and still realistic.
    while len(block) < 4 << 20:
        gap = every // 2 + rnd.randrange(every)
        block += (filler * (gap // len(filler) + 1))[:gap] + b".NET"
    write(name, size, bytes(block[:4 << 20]))
def write(name, size, block):
    with open(os.path.join(out, name), "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
        f.write(block[:size % len(block)])
# One line of HTML-like text, no newline anywhere: tags, words (some of them
# ...Script, some near misses), .NET and its near misses, numbers of 1 to 6
# digits alone and glued to letters (where (?-u:\b) decides).
def one_line(name, size):
    rnd = random.Random(11)
    words = (b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
             b"tempor incididunt ut labore et dolore magna aliqua Framework Server Node "
             b"Rust Python Runtime").split()
    scripts = [b"JavaScript", b"TypeScript", b"CoffeeScript", b"ActionScript",
               b"PureScript", b"Javascript", b"typeScript", b"ECMAScript", b"JavaScripts"]
    dotnet = [b".NET", b"ASP.NET", b".NET 8", b".net", b"NET", b"dotNET"]
    tags = [b'<div class="post">', b"</div>", b"<p>", b"</p>", b'<a href="/tags/js">',
            b"</a>", b"<li>", b"</li>", b"<code>", b"</code>"]
    def number():
        n = str(rnd.randrange(10 ** rnd.randrange(1, 7))).encode()
        return rnd.choice([n, n, n, b"id=" + n, n + b"px", b"v" + n + b".0", b"$" + n, b"n" + n])
    kinds = [lambda: rnd.choice(words)] * 12 + [lambda: rnd.choice(tags)] * 4 + \
            [lambda: rnd.choice(scripts)] * 2 + [lambda: rnd.choice(dotnet)] + [number] * 3
    parts, length = [], 0
    while length < 4 << 20:
        part = rnd.choice(kinds)()
        parts.append(part)
        length += len(part) + 1
    block = b" ".join(parts)[:4 << 20]
    assert b"\n" not in block and b"\r" not in block
    write(name, size, block)
if throughput:
    make("sparse.html", 256 << 20, 20 * 1024)
    make("dense.html", 256 << 20, 50)
    make("big.html", 1 << 30, 20 * 1024)
if throughput or rtt:
    make("small.html", 100 << 10, 2 * 1024)
if rtt:
    # 20 pages of 150 KB, as in a site crawl.
    for i in range(1, 21):
        make(f"page{i:02}.html", 150_000, 2 * 1024)
if regex:
    one_line("line256.html", 256 << 20)
    one_line("line1g.html", 1 << 30)
PY

echo "== tls certificates"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=netcount bench ca" \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -days 2 -extfile "$work/ext" -out "$work/leaf.pem" 2>/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate $work/leaf.pem;
        ssl_certificate_key $work/leaf.key;
        root $work/www;
    }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5
base=http://127.0.0.1:$port
tls=https://localhost:$tls_port

json=$work/results
mkdir -p "$json"

if [[ $throughput ]]; then
echo "== counts (must agree before timing)"
for corpus in sparse dense; do
    url=$base/$corpus.html
    a=$("$netcount" "$url")
    b=$(curl -s "$url" | grep -Fao .NET | wc -l)
    c=$(curl -s "$url" | rg -Fa --count-matches .NET)
    d=$("$netcount" --cacert "$work/ca.pem" "$tls/$corpus.html")
    echo "$corpus: netcount $a, grep $b, rg $c, netcount over tls $d"
    [[ $a == "$b" && $a == "$c" && $a == "$d" ]] || { echo "COUNTS DISAGREE"; exit 1; }
done

for corpus in sparse dense; do
    url=$base/$corpus.html
    echo "== $corpus 256 MiB over http"
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$json/$corpus.json" \
        -n netcount "$netcount $url" \
        -n reader "$reader 127.0.0.1:$port /$corpus.html" \
        -n curl "curl -s -o /dev/null $url" \
        -n curl-grep "bash -c 'curl -s $url | grep -Fao .NET | wc -l'" \
        -n curl-rg "bash -c 'curl -s $url | rg -Fa --count-matches .NET'" >/dev/null
done

echo "== sparse 256 MiB over https"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$json/tls.json" \
    -n netcount "$netcount --cacert $work/ca.pem $tls/sparse.html" \
    -n curl "curl -s --cacert $work/ca.pem -o /dev/null $tls/sparse.html" >/dev/null

echo "== 1,000 URLs of 100 KiB at -j 64"
for i in $(seq 1000); do echo "$base/small.html?$i"; done > "$work/urls.txt"
if "$netcount" --help | grep -q -- --input; then
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$json/many.json" \
        -n netcount "$netcount -q -j 64 --input $work/urls.txt" \
        -n xargs-curl "bash -c 'xargs -P 64 -n 1 curl -s -o /dev/null < $work/urls.txt'" >/dev/null
else
    echo "(skipped: this netcount has no --input)"
fi

echo "== peak RSS, 1 GiB body"
/usr/bin/time -v "$netcount" "$base/big.html" 2> "$work/time.txt" >/dev/null
rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
/usr/bin/time -v "$reader" 127.0.0.1:$port /big.html 2> "$work/time2.txt" >/dev/null
reader_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time2.txt")
fi # throughput

if [[ $regex ]]; then
# A plain string (netcount hands it to its memmem counter), a class-led
# pattern and one with ASCII word boundaries. ripgrep is built on the same
# regex crate and parses the same syntax; the counts below prove it.
patterns=('\.NET' '[A-Z][a-z]+Script' '(?-u:\b)[0-9]{3}(?-u:\b)')
kinds=(literal regex regex)
line=$base/line256.html
echo "== regex counts on one 256 MiB line (must agree before timing)"
: > "$json/regex-counts.txt"
for i in "${!patterns[@]}"; do
    pattern=${patterns[i]}
    # The timed commands as scripts, so that the pattern is quoted once.
    [[ $pattern != *"'"* ]] || { echo "a pattern here cannot hold a single quote"; exit 1; }
    printf "exec %s -q -e '%s' %s\n" "$netcount" "$pattern" "$line" > "$work/re-$i-netcount.sh"
    printf "curl -s %s | rg -a -o '%s' | wc -l\n" "$line" "$pattern" > "$work/re-$i-rg-o.sh"
    printf "curl -s %s | rg -a --count-matches '%s'\n" "$line" "$pattern" > "$work/re-$i-rg-count.sh"
    a=$(sh "$work/re-$i-netcount.sh")
    b=$(sh "$work/re-$i-rg-o.sh")
    c=$(sh "$work/re-$i-rg-count.sh")
    kind=$("$netcount" -q --json -e "$pattern" "$line" |
        python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["pattern_kind"], r["count"])')
    echo "$pattern: netcount $a (json: $kind), curl|rg -o|wc -l $b, curl|rg --count-matches $c"
    [[ $a == "$b" && $a == "$c" && $kind == "${kinds[i]} $a" && $a -gt 0 ]] ||
        { echo "COUNTS DISAGREE (or the pattern kind is not ${kinds[i]})"; exit 1; }
    printf '%s\t%s\n' "$pattern" "$a" >> "$json/regex-counts.txt"
done

for i in "${!patterns[@]}"; do
    echo "== ${patterns[i]} over one 256 MiB line"
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$json/regex-$i.json" \
        -n netcount "sh $work/re-$i-netcount.sh" \
        -n curl-rg-o "sh $work/re-$i-rg-o.sh" \
        -n curl-rg-count "sh $work/re-$i-rg-count.sh" >/dev/null
done

# Prints field $2 of GNU time's report $1, or "-" when the report lacks it
# (the run was killed before time could write it).
time_field() {
    local value
    value=$(awk -F': ' -v key="$2" 'index($0, key) {print $2}' "$1" 2>/dev/null || true)
    echo "${value:--}"
}

echo "== peak RSS, one 1 GiB line (each run limited to $limit s)"
# rg reads curl's output from a pipe, as in the timed pipeline: it must hold
# the whole line in memory before it can print a match; GNU time measures rg
# alone.
big=$base/line1g.html
: > "$json/regex-rss.txt"
for i in "${!patterns[@]}"; do
    pattern=${patterns[i]}
    rm -f "$work/n-time.txt" "$work/rg-time.txt"
    timeout "$limit" /usr/bin/time -v -o "$work/n-time.txt" \
        "$netcount" -q --timeout "$limit" -e "$pattern" "$big" > "$work/n-count.txt" ||
        { echo "netcount failed on the 1 GiB line"; exit 1; }
    a=$(cat "$work/n-count.txt")
    status=0
    timeout "$limit" bash -c 'set -o pipefail
        curl -s "$1" | /usr/bin/time -v -o "$2" rg -a -o "$3" | wc -l' \
        _ "$big" "$work/rg-time.txt" "$pattern" > "$work/rg-count.txt" 2> "$work/rg-err.txt" ||
        status=$?
    b=$(cat "$work/rg-count.txt")
    case $status in
        0) outcome=ok ;;
        124) outcome="timed out after $limit s" ;;
        *) outcome="failed with status $status: $(grep -v '^$' "$work/rg-err.txt" | head -1)" ;;
    esac
    echo "$pattern: netcount $a, curl|rg -o|wc -l ${b:--} ($outcome)"
    if [[ $status == 0 && $a != "$b" ]]; then echo "COUNTS DISAGREE"; exit 1; fi
    fields=()
    for side in n rg; do
        for key in "Maximum resident set size" "Elapsed (wall clock)" "User time"; do
            fields+=("$(time_field "$work/$side-time.txt" "$key")")
        done
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pattern" "$a" "${fields[@]:0:3}" \
        "${b:--}" "${fields[@]:3:3}" "$outcome" >> "$json/regex-rss.txt"
done
fi # regex

# Starts the latency proxy in front of $2 with $3 ms each way (and any
# further flags); sets proxy_port. $1 names its pid and output files.
start_proxy() {
    local name=$1 target=$2 ms=$3
    shift 3
    "$latency" 127.0.0.1:0 "$target" "$ms" "$@" > "$work/$name.out" &
    echo $! > "$work/$name.pid"
    for _ in $(seq 100); do
        grep -q listening "$work/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    proxy_port=$(awk '/listening on/ {sub(/.*:/, "", $3); print $3}' "$work/$name.out")
}

# Stops a proxy started by start_proxy and prints how many connections it
# accepted.
stop_proxy() {
    local name=$1
    kill -TERM "$(cat "$work/$name.pid")"
    for _ in $(seq 100); do
        grep -q accepted "$work/$name.out" && break
        sleep 0.05
    done
    rm -f "$work/$name.pid"
    awk '/accepted/ {print $2}' "$work/$name.out"
}

if [[ $rtt ]]; then
echo "== 20 HTTPS pages through 50 ms RTT (25 ms each way, TCP handshake emulated)"
# Writes the four commands for a proxy on port $1 as scripts rtt-N.sh, each
# fetching the same 20 URLs in one invocation (curl gets one -o per URL).
rtt_names=("netcount -j 1" "curl" "netcount -j 8" "curl -Z" "no reuse -j 1")
write_rtt_commands() {
    local urls="" outs="" i
    for i in $(seq -w 1 20); do
        urls+=" https://localhost:$1/page$i.html"
        outs+=" -o /dev/null https://localhost:$1/page$i.html"
    done
    echo "exec $netcount -q --cacert $work/ca.pem -j 1$urls" > "$work/rtt-0.sh"
    echo "exec curl -s --cacert $work/ca.pem$outs" > "$work/rtt-1.sh"
    echo "exec $netcount -q --cacert $work/ca.pem -j 8$urls" > "$work/rtt-2.sh"
    echo "exec curl -s --cacert $work/ca.pem -Z --parallel-max 8$outs" > "$work/rtt-3.sh"
    # What every URL cost before connections were reused.
    echo "exec $netcount -q --cacert $work/ca.pem -j 1 --no-reuse$urls" > "$work/rtt-4.sh"
}
# Each command once through a fresh proxy: its output, and its connections.
: > "$json/rtt-connections.txt"
for i in 0 1 2 3 4; do
    start_proxy count "127.0.0.1:$tls_port" 25 --handshake
    write_rtt_commands "$proxy_port"
    bash "$work/rtt-$i.sh" > "$work/out.txt" 2> "$work/err.txt" ||
        { cat "$work/err.txt"; exit 1; }
    opened=$(stop_proxy count)
    printf '%s\t%s\n' "${rtt_names[i]}" "$opened" >> "$json/rtt-connections.txt"
    sum=$(awk '$1 == "SUM" {print ", sum of counts " $2}' "$work/out.txt")
    echo "${rtt_names[i]}: $opened connections$sum"
done
# Timing: one long-lived proxy for every run.
start_proxy rtt "127.0.0.1:$tls_port" 25 --handshake
write_rtt_commands "$proxy_port"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$json/rtt.json" \
    -n "${rtt_names[0]}" "bash $work/rtt-0.sh" \
    -n "${rtt_names[1]}" "bash $work/rtt-1.sh" \
    -n "${rtt_names[2]}" "bash $work/rtt-2.sh" \
    -n "${rtt_names[3]}" "bash $work/rtt-3.sh" \
    -n "${rtt_names[4]}" "bash $work/rtt-4.sh" >/dev/null
stop_proxy rtt > /dev/null

echo "== 1,000 URLs of one origin at -j 64, pooling on vs off"
for i in $(seq 1000); do echo "$base/small.html?$i"; done > "$work/urls.txt"
: > "$json/pool-connections.txt"
for variant in on off; do
    flag=; [[ $variant == off ]] && flag=--no-reuse
    start_proxy count "127.0.0.1:$port" 0
    for i in $(seq 1000); do echo "http://127.0.0.1:$proxy_port/small.html?$i"; done > "$work/urls-proxy.txt"
    "$netcount" -q -j 64 $flag --input "$work/urls-proxy.txt" > /dev/null
    printf '%s\t%s\n' "$variant" "$(stop_proxy count)" >> "$json/pool-connections.txt"
done
hyperfine -N --warmup 1 --runs "$runs" --export-json "$json/pool.json" \
    -n "pooling on" "$netcount -q -j 64 --input $work/urls.txt" \
    -n "pooling off" "$netcount -q -j 64 --no-reuse --input $work/urls.txt" >/dev/null
fi # rtt

echo
echo "== results (median wall time; ratios from the same run)"
python3 - "$json" "${rss_kib:-0}" "${reader_kib:-0}" <<'PY'
import json, os, sys
d, rss, reader_rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    path = os.path.join(d, name + ".json")
    if not os.path.exists(path):
        return None
    return {r["command"]: r["median"] for r in json.load(open(path))["results"]}
def connections(name):
    rows = open(os.path.join(d, name + "-connections.txt")).read().split("\n")
    return dict(row.split("\t") for row in rows if row)
def rows(name):
    lines = open(os.path.join(d, name + ".txt")).read().split("\n")
    return [line.split("\t") for line in lines if line]
def seconds(wall):
    if wall == "-":
        return "-"
    parts = [float(p) for p in wall.split(":")]
    return f"{sum(p * 60 ** i for i, p in enumerate(reversed(parts))):.1f} s"
def mib(kib):
    return "-" if kib == "-" else f"{int(kib) / 1024:.1f} MiB"
if load("rtt"):
    t, c = load("rtt"), connections("rtt")
    print("20 https pages of 150 KB through 50 ms rtt (median, connections opened):")
    for k, v in t.items():
        print(f"  {k:14} {v*1000:6.0f} ms  {c[k]:>3} connections")
    print(f"  netcount -j 1 / curl (one invocation): {t['netcount -j 1']/t['curl']:.2f}")
    print(f"  netcount -j 8 / curl -Z --parallel-max 8: {t['netcount -j 8']/t['curl -Z']:.2f}")
    print(f"  netcount -j 1 / the same with --no-reuse: {t['netcount -j 1']/t['no reuse -j 1']:.2f}")
    t, c = load("pool"), connections("pool")
    print(f"1,000 x 100 KiB of one origin at -j 64: pooling on {t['pooling on']*1000:.0f} ms "
          f"({c['on']} connections), off {t['pooling off']*1000:.0f} ms ({c['off']} connections), "
          f"on / off {t['pooling on']/t['pooling off']:.2f}")
if load("regex-0"):
    for i, (pattern, count) in enumerate(rows("regex-counts")):
        t = load(f"regex-{i}")
        print(f"{pattern} on one 256 MiB line, {count} matches: netcount {t['netcount']*1000:.0f} ms, "
              f"curl|rg -o|wc -l {t['curl-rg-o']*1000:.0f} ms, "
              f"curl|rg --count-matches {t['curl-rg-count']*1000:.0f} ms")
        print(f"  netcount / curl|rg -o|wc -l (target <= 0.5): {t['netcount']/t['curl-rg-o']:.2f}")
        print(f"  netcount / curl|rg --count-matches:          {t['netcount']/t['curl-rg-count']:.2f}")
    print("peak RSS, one 1 GiB line (rg's own, reading curl's output from a pipe):")
    for pattern, a, a_kib, a_wall, a_user, b, b_kib, b_wall, b_user, outcome in rows("regex-rss"):
        print(f"  {pattern}: netcount {mib(a_kib)} (target <= 8 MiB), {seconds(a_wall)} "
              f"({a_user} s user), count {a}; rg {mib(b_kib)}, {seconds(b_wall)} "
              f"({b_user} s user), count {b}, {outcome}")
if not load("sparse"):
    sys.exit(0)
for corpus in ("sparse", "dense"):
    t = load(corpus)
    print(f"{corpus} 256 MiB: " + ", ".join(f"{k} {v*1000:.0f} ms" for k, v in t.items()))
    print(f"  netcount throughput / reader throughput: {t['reader']/t['netcount']:.2f}")
    print(f"  netcount time / curl -o /dev/null time:  {t['netcount']/t['curl']:.2f}")
    print(f"  netcount time / curl|grep time:          {t['netcount']/t['curl-grep']:.2f}")
    print(f"  netcount time / curl|rg time:            {t['netcount']/t['curl-rg']:.2f}")
t = load("tls")
print(f"https sparse 256 MiB: netcount {t['netcount']*1000:.0f} ms, curl {t['curl']*1000:.0f} ms, "
      f"ratio {t['netcount']/t['curl']:.2f}")
t = load("many")
if t:
    print(f"1,000 x 100 KiB at -j 64: netcount {t['netcount']*1000:.0f} ms, xargs curl "
          f"{t['xargs-curl']*1000:.0f} ms, ratio {t['netcount']/t['xargs-curl']:.2f}")
print(f"peak RSS, 1 GiB body: netcount {rss/1024:.1f} MiB, reader {reader_rss/1024:.1f} MiB")
PY
