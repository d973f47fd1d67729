# bench-daemon.sh: the ballotd that the benchmarks drive, sourced by
# ballotd-bench.sh and verifier-bench.sh (which define die()).
#
#   bench_daemon_start BALLOTD DIR DB [CONFIG_LINE ...]
#       writes a fresh self-signed P-256 certificate, a random organiser
#       credential (DIR/organiser.cred) and DIR/ballotd.conf (HTTPS and
#       plain HTTP on free 127.0.0.1 ports, the database DB, threads =
#       nproc, log_level = warn so that no line is written per request,
#       timeout = 120, then the extra lines), starts BALLOTD with it
#       (stderr in DIR/ballotd.log) and waits until /healthz answers.
#       Sets daemon_pid, https_port, http_port and nproc.
#   bench_daemon_stop
#       SIGTERM, up to 10 s to exit, then SIGKILL (for the EXIT trap).

bench_daemon_start() {
	local ballotd=$1 dir=$2 db=$3 line
	shift 3
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		>/dev/null 2>&1 || die "openssl req could not make a certificate"
	# A demo credential (the daemon warns that the file should hold a hash).
	printf 'bench-%s\n' "$(openssl rand -hex 16)" >"$dir/organiser.cred"
	chmod 600 "$dir/organiser.cred"
	read -r https_port http_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
	nproc=$(nproc)
	{
		cat <<EOF
listen = 127.0.0.1:$https_port
cert = $dir/cert.pem
key = $dir/key.pem
http = 127.0.0.1:$http_port
db = $db
organiser_credential_file = $dir/organiser.cred
threads = $nproc
log_level = warn
timeout = 120
EOF
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$dir/ballotd.conf"
	"$ballotd" --config "$dir/ballotd.conf" 2>"$dir/ballotd.log" &
	daemon_pid=$!
	timeout 15 python3 - "$http_port" <<'EOF' ||
import http.client, json, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]),
                                       timeout=2)
        c.request("GET", "/healthz")
        r = c.getresponse()
        if r.status == 200 and json.loads(r.read()) == {"ok": True}:
            sys.exit(0)
    except (OSError, ValueError, http.client.HTTPException):
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)
EOF
		die "ballotd did not answer /healthz: $(cat "$dir/ballotd.log")"
}

bench_daemon_stop() {
	if [[ -n ${daemon_pid:-} ]] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
}
