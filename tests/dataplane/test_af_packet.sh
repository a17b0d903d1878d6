#!/bin/sh
# The same order flow through a kernel interface: gavel on net_af_packet
# bound to one end of a veth pair, the client on the other end inside a
# network namespace that this test creates and removes. Traffic stays on
# that pair. Checks that every order is answered and that the fills equal
# those of lobgen's model. Exits 77 where namespaces, veth or AF_PACKET
# are not available (not root, no iproute2, no python3).
# usage: test_af_packet.sh GAVEL PCAPGEN DECODE LOBGEN CONFIG
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
gavel=$(abs "$1") pcapgen=$(abs "$2") decode=$(abs "$3") lobgen=$(abs "$4")
conf=$(abs "$5")
ns=gvtest$$ host=gvh$$ peer=gvp$$
dir=$(mktemp -d)
gpid=
cleanup() {
	[ -n "$gpid" ] && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
	ip link del "$host" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "no iproute2"
command -v python3 >/dev/null || skip "no python3"
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ip link add "$host" type veth peer name "$peer" 2>/dev/null ||
	skip "cannot create a veth pair"
ip link set "$peer" netns "$ns" && ip link set "$host" up &&
	ip netns exec "$ns" ip link set "$peer" up || skip "veth set-up failed"
cd "$dir"
sed 's/"net_pcap0"/"net_af_packet0"/' "$conf" > gavel.conf
conf=$dir/gavel.conf

# A fresh flow stamped with the wall clock: gavel checks logon times.
"$lobgen" --seed 11 --n 5000 --warmup 100 --out lob.txt --expect 2> expect.txt
"$pcapgen" --lobstream lob.txt --config "$conf" --sessions 2 --out in.pcap \
	--start-ns "$(date +%s%N)" --rate 20000 2> gen.log || { cat gen.log; exit 1; }

"$gavel" -l 0 --no-huge --no-pci -m 256 --file-prefix gv-afp-$$ \
	--log-level='*:error' --vdev="net_af_packet0,iface=$host" -- \
	--config "$conf" --duration 6 > gavel.log 2>&1 &
gpid=$!
sleep 2
kill -0 "$gpid" 2>/dev/null || { cat gavel.log; skip "gavel could not open AF_PACKET on $host"; }

# The client: send every frame of the capture, record what comes back.
ip netns exec "$ns" python3 - "$peer" in.pcap out.pcap <<'PY'
import socket, struct, sys, time
iface, src, dst = sys.argv[1:4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 0))
s.settimeout(0.05)
d = open(src, 'rb').read()
frames, off = [], 24
while off + 16 <= len(d):
    caplen = struct.unpack('<I', d[off + 8:off + 12])[0]
    frames.append(d[off + 16:off + 16 + caplen])
    off += 16 + caplen
got = []
def rx(until):
    while time.time() < until:
        try:
            p = s.recv(2048)
        except socket.timeout:
            continue
        if len(p) > 14 and p[6:12] != b'\x02\x00\x00\x00\x10\x01' and \
           p[6:12] != b'\x02\x00\x00\x00\x10\x02':
            got.append(p)
for i, f in enumerate(frames):
    s.send(f)
    if i % 64 == 63:
        rx(time.time() + 0.001)
rx(time.time() + 2.0)
with open(dst, 'wb') as o:
    o.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for p in got:
        o.write(struct.pack('<IIII', 0, 0, len(p), len(p)) + p)
print("client: sent %d frames, received %d" % (len(frames), len(got)))
PY
wait "$gpid"
gpid=
sed -n '/^gavel: live/,$p' gavel.log
"$decode" --no-time out.pcap > out.txt
fail=0
news=$("$decode" --no-time in.pcap | grep -c ' N ')
acks=$(grep -c ' a \| j ' out.txt)
want=$(sed -n 's/^result: fills=\([0-9]*\) .*/\1/p' expect.txt)
got=$(grep -c ' f .* maker' out.txt)
echo "orders sent $news, answered $acks; fills $got, lobgen's model $want"
[ "$news" = "$acks" ] || { echo "FAIL: not every order was answered"; fail=1; }
[ "$got" = "$want" ] || { echo "FAIL: fills differ from the model"; fail=1; }
exit $fail
