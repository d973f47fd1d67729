#!/usr/bin/env bash
# Builds everything and starts ballotd with a demo poll that a person can
# vote in: three local trustees run the real key ceremony, 20 demo voters
# get credentials, the poll opens, and the script prints how to vote,
# check a receipt, close the poll and count a sample election.  ballotd
# stays in the foreground; Ctrl-C stops it.
#
#   ./demo.sh              HTTP on 127.0.0.1:8080 (loopback only)
#   BALLOT_DEMO_PORT=9090 ./demo.sh
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

port=${BALLOT_DEMO_PORT:-8080}
url="http://127.0.0.1:$port"
demo=build/demo
ctl=build/ballotctl/ballotctl
poll=demo-2026

rm -rf "$demo"
mkdir -p "$demo"
umask 077
# The organiser credential: random, kept in a file only this user reads.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/organiser.credential"
cat >"$demo/ballotd.conf" <<EOF
# written by demo.sh: plain HTTP on loopback only, for the demo
http = 127.0.0.1:$port
db = $PWD/$demo/ballotd.db
organiser_credential_file = $PWD/$demo/organiser.credential
web_root = $PWD/web
threads = 2
log_level = info
EOF

build/ballotd/ballotd --config "$demo/ballotd.conf" 2>"$demo/ballotd.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null' EXIT
for _ in $(seq 1 50); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	kill -0 "$daemon" 2>/dev/null || {
		cat "$demo/ballotd.log"
		echo "demo: ballotd did not start (is port $port free? BALLOT_DEMO_PORT=...)" >&2
		exit 1
	}
	sleep 0.2
done

export BALLOT_SERVER=$url
org=(--organiser-credential-file "$demo/organiser.credential")

# Three trustees, any two of whom can open the ballots after the close.
members=()
for i in 1 2 3; do
	"$ctl" trustee keygen --out "$demo/trustee$i.key" --name "Trustee $i" >"$demo/trustee$i.pub"
	members+=("$(sed -n 's/^member //p' "$demo/trustee$i.pub")")
done

cat >"$demo/poll.json" <<EOF
{
  "format": "ballot-poll/1",
  "id": "$poll",
  "title": "Demo society elections 2026",
  "revoting": false,
  "ballot_size": 1024,
  "min_class_size": 10,
  "contests": [
    {"id": "committee", "title": "Committee (3 seats)", "rule": "scottish-stv", "seats": 3,
     "candidates": [{"name": "Alex MORGAN"}, {"name": "Sam PATEL"}, {"name": "Jo KOWALSKI"},
                    {"name": "Ruth OKAFOR"}, {"name": "Lee CHEN"}, {"name": "Re-open nominations"}]},
    {"id": "chair", "title": "Chair (1 seat)", "kind": "option", "rule": "irv", "seats": 1,
     "candidates": [{"name": "Dana WRIGHT"}, {"name": "Kim ADEYEMI"}, {"name": "None of these"}]}
  ],
  "trustees": {"k": 2, "members": [${members[0]}, ${members[1]}, ${members[2]}]}
}
EOF
{
	echo "voter_id,name"
	for i in $(seq -w 1 20); do echo "voter$i,Demo Voter $i"; done
} >"$demo/roll.csv"

"$ctl" "${org[@]}" poll create "$demo/poll.json" >/dev/null
"$ctl" "${org[@]}" roll import "$poll" "$demo/roll.csv" --out "$demo/credentials.csv" >/dev/null
"$ctl" "${org[@]}" poll ceremony "$poll" >/dev/null
pids=()
for i in 1 2 3; do
	"$ctl" trustee ceremony "$poll" --key "$demo/trustee$i.key" --index "$i" \
		--state "$demo/trustee$i.state" >"$demo/trustee$i.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || { cat "$demo"/trustee*.log; echo "demo: the key ceremony failed" >&2; exit 1; }
done
"$ctl" "${org[@]}" poll open "$poll" >/dev/null

cred=$(sed -n '2p' "$demo/credentials.csv" | tr -d '\r' | awk -F, '{print $NF}')
cred2=$(sed -n '3p' "$demo/credentials.csv" | tr -d '\r' | awk -F, '{print $NF}')
cat <<EOF

The demo poll '$poll' is open at $url (log: $demo/ballotd.log).
Three trustees ran the key ceremony; 20 voters have credentials in
$demo/credentials.csv (the last column).

To vote in the browser as the second voter, open this link (the
credential is in the part after '#', which the browser never sends):

  $url/vote.html#poll=$poll&cred=$cred2

The board (with a search by tracker code) and, once published, the results:

  $url/board.html?poll=$poll
  $url/results.html?poll=$poll

To vote from the command line as the first voter:

  $ctl --server $url vote $poll \\
      --credential '$cred' \\
      --ballot '{"committee":[2,1,4],"chair":[1]}' --receipt $demo/receipt1.json

Candidates are numbered from 1 in the order of $demo/poll.json; list them
best first, [] for a blank vote.  Then check your receipt on the board:

  $ctl --server $url check-receipt $poll $demo/receipt1.json

The organiser can see the counts and close the poll:

  $ctl --server $url --organiser-credential-file $demo/organiser.credential poll status $poll
  $ctl --server $url --organiser-credential-file $demo/organiser.credential poll close $poll

The STV core alone, on a generated sample election:

  build/bench/genblt --ballots 20000 --candidates 12 --seats 4 --seed 2026 >$demo/sample.blt
  build/verifier/verifier count --format text $demo/sample.blt

ballotd is running; press Ctrl-C to stop it.
EOF
wait "$daemon"
