#!/bin/sh
# The control plane against a running gavel: gavel live on net_af_packet
# bound to one end of a veth pair, a scripted GOE/1 client (goe_client) on
# the other end inside a network namespace this test creates and removes,
# and REST calls through curl (libcurl) to 127.0.0.1. Checks every
# endpoint, auth failures, that a halt makes new orders reject HALTED, the
# kill switch (KILLED, then enable), and a demote/promote cycle (a standby
# sends nothing; promotion raises the epoch). Exits 77 where namespaces,
# veth, AF_PACKET or curl are not available.
# usage: test_gavel_control.sh GAVEL GOE_CLIENT CONFIG
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
gavel=$(abs "$1") client=$(abs "$2") conf0=$(abs "$3")
ns=gvc$$ host=gvch$$ peer=gvcp$$
dir=$(mktemp -d)
gpid= cpid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	[ -n "$gpid" ] && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
	ip link del "$host" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
for t in ip curl python3; do
	command -v $t >/dev/null || skip "no $t"
done
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ip link add "$host" type veth peer name "$peer" 2>/dev/null || skip "no veth"
ip link set "$peer" netns "$ns" && ip link set "$host" up &&
	ip netns exec "$ns" ip link set "$peer" up || skip "veth set-up failed"
cd "$dir"
sed 's/"net_pcap0"/"net_af_packet0"/' "$conf0" > gavel.conf
printf 'test-token-%s\n' "$$" > token
chmod 600 token
tok=$(cat token)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

"$gavel" -l 0 --no-huge --no-pci -m 256 --file-prefix gv-ctl-$$ \
	--log-level='*:error' --vdev="net_af_packet0,iface=$host" -- \
	--config gavel.conf --control "127.0.0.1:$port" --control-token token \
	--duration 60 > gavel.log 2>&1 &
gpid=$!
mkfifo cmds
ip netns exec "$ns" "$client" gavel.conf "$peer" 10.1.0.9 < cmds > client.log 2>&1 &
cpid=$!
exec 3> cmds
for i in $(seq 50); do
	curl -s -o /dev/null "$url/health/live" && break
	sleep 0.1
done
kill -0 "$gpid" 2>/dev/null || { cat gavel.log; skip "gavel could not start on AF_PACKET"; }

fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
say() { echo "$*" >&3; }
# code METHOD PATH [auth]: HTTP status; the body goes to body.json
code() {
	if [ "${3:-}" = auth ]; then
		curl -s -o body.json -w '%{http_code}' -X "$1" \
			-H "Authorization: Bearer $tok" "$url$2"
	else
		curl -s -o body.json -w '%{http_code}' -X "$1" "$url$2"
	fi
}
expect() { # expect WHAT WANT METHOD PATH [auth] [grep-in-body]
	what=$1 want=$2
	got=$(code "$3" "$4" "${5:-}")
	if [ "$got" != "$want" ]; then
		bad "$what: HTTP $got, want $want ($(head -c 200 body.json))"
	elif [ -n "${6:-}" ] && ! grep -q -- "$6" body.json; then
		bad "$what: body lacks $6 ($(head -c 300 body.json))"
	else
		ok "$what"
	fi
}
replies() { sleep 0.4; say "wait 300"; sleep 0.5; }
has_reply() { # has_reply WHAT PATTERN
	if grep -q -- "$2" client.log; then ok "$1"; else bad "$1"; fi
}

say "logon 101"
say "logon 103"
replies
has_reply "logon answered" "reply s=101 seq=0 l"

expect "GET /health" 200 GET /health "" '"role":"primary"'
expect "GET /health/live" 200 GET /health/live
expect "GET /health/ready" 200 GET /health/ready
expect "GET /metrics" 200 GET /metrics "" matching_engine_orders_processed_total
grep -q 'matching_engine_orderbook_depth{' body.json && ok "depth gauge" || bad "depth gauge"
expect "GET /v1/shards" 200 GET /v1/shards "" '"id":0'
grep -q '"offload":"sw"' body.json && ok "shard 0 on the sw offload" ||
	bad "shard 0 on the sw offload ($(head -c 300 body.json))"
expect "GET /v1/instruments" 200 GET /v1/instruments "" BTCUSD
expect "GET /v1/sessions" 200 GET /v1/sessions "" '"logged_in":true'
grep -q key body.json && bad "sessions expose keys" || ok "no keys in /v1/sessions"
expect "unknown path" 404 GET /nope "" error
expect "bad depth" 400 GET "/v1/instruments/BTCUSD/book?depth=0"
expect "unknown symbol" 404 GET /v1/instruments/NOPE/book
expect "halt without token" 401 POST /v1/instruments/BTCUSD/halt
tok_saved=$tok tok=wrong
expect "halt with a wrong token" 401 POST /v1/instruments/BTCUSD/halt auth
tok=$tok_saved

say "new 101 1 B 100000 5"
replies
has_reply "order accepted" "reply s=101 seq=1 a"
expect "L2 book" 200 GET "/v1/instruments/BTCUSD/book?depth=5" "" '"price":100000'

expect "halt" 200 POST /v1/instruments/BTCUSD/halt auth '"halted":true'
say "new 103 1 S 100000 5"
replies
has_reply "halted instrument rejects HALTED" "reply s=103 seq=1 j cl=1 reason=10"
expect "resume" 200 POST /v1/instruments/BTCUSD/resume auth
say "new 103 1 S 100000 2"
replies
has_reply "after resume it trades" "reply s=103 seq=3 f"

expect "kill session 103" 200 POST /v1/sessions/103/kill auth
say "new 103 1 S 100001 1"
replies
has_reply "killed session rejects KILLED" "j cl=3 reason=19"
expect "unknown session" 404 POST /v1/sessions/999/kill auth
expect "enable session 103" 200 POST /v1/sessions/103/enable auth
say "new 103 1 S 100002 1"
replies
has_reply "enabled session is accepted" "reply s=103 seq=.* a cl=4"

expect "demote" 200 POST /v1/admin/demote auth '"role":"standby"'
lines=$(grep -c reply client.log)
say "new 101 1 B 99990 1"
replies
[ "$(grep -c reply client.log)" = "$lines" ] && ok "a standby sends nothing" ||
	bad "a standby sent replies"
expect "standby: /health says so" 200 GET /health "" '"role":"standby"'
expect "promote" 200 POST /admin/promote auth '"epoch":2'
expect "promote again" 409 POST /v1/admin/promote auth
curl -s "$url/metrics" | grep -q '^gavel_epoch 2' && ok "epoch in metrics" ||
	bad "epoch in metrics"
say "new 101 1 B 99991 1"
replies
has_reply "primary again: replies flow" "reply s=101 seq=4 a cl=3"

say "quit"
kill -INT "$gpid"
wait "$gpid"
rc=$?
gpid=
[ "$rc" = 0 ] && ok "gavel stopped cleanly on SIGINT" || bad "gavel exit $rc"
grep -q "rejects: .*halted=1.*killed=1" gavel.log && ok "summary counts the rejects" ||
	bad "summary: $(grep rejects gavel.log)"
[ $fail = 0 ] || { echo "--- client"; cat client.log; echo "--- gavel"; cat gavel.log; }
exit $fail
