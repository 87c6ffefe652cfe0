#!/usr/bin/env bash
# Three Weft peers in three network namespaces on one bridge, like three laptops at a
# gathering with no internet:
#   1. the newcomers find the founder by mDNS alone (their invitation is the short code,
#      with no address) and join;
#   2. all three edit, and converge;
#   3. with 20% packet loss and 200 ms latency on every link (tc netem), they edit again and
#      still converge.
# Needs root (ip netns, tc). Every wait is bounded; everything is cleaned up on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

WEFT="${WEFT:-target/debug/weft}"
[[ -x "$WEFT" ]] || cargo build --workspace --locked --quiet
WEFT="$(realpath "$WEFT")"
RUN="$(mktemp -d)"
HUB=wefthub$$
PEERS=(w1$$ w2$$ w3$$)
PIDS=()

say() { printf '[netns] %s\n' "$*"; }

cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${PEERS[@]}" "$HUB"; do ip netns del "$ns" 2>/dev/null || true; done
    if [[ "${KEEP:-}" == "" ]]; then rm -rf "$RUN"; else say "kept $RUN"; fi
}
trap cleanup EXIT

# --- the network: a bridge in its own namespace, one veth per peer ---------------------
ip netns add "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
i=0
for ns in "${PEERS[@]}"; do
    i=$((i + 1))
    ip netns add "$ns"
    ip link add "v$ns" type veth peer name "h$ns"
    ip link set "v$ns" netns "$ns"
    ip link set "h$ns" netns "$HUB"
    ip -n "$HUB" link set "h$ns" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "v$ns" name eth0
    ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up multicast on
    ip -n "$ns" route add 224.0.0.0/4 dev eth0
done

weft() { local n=$1; shift; "$WEFT" --data-dir "$RUN/$n" "$@"; }
serve() {
    local n=$1 ns=$2
    shift 2
    local args=("$@")
    [[ ${#args[@]} -gt 0 ]] || args=(--listen /ip4/0.0.0.0/tcp/4001 --listen /ip4/0.0.0.0/udp/4001/quic-v1)
    ip netns exec "$ns" "$WEFT" --data-dir "$RUN/$n" serve "${args[@]}" >>"$RUN/$n.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$n=$!" 
    # The control socket appears once the peer runs (probing with a command could race it
    # for the data directory).
    for _ in $(seq 100); do [[ -S "$RUN/$n/control.sock" ]] && return 0; sleep 0.1; done
    say "peer $n did not start"; cat "$RUN/$n.log"; exit 1
}

# Waits (bounded) until every peer lists `count` tasks.
converge() {
    local count=$1 limit=$2
    for _ in $(seq "$((limit * 5))"); do
        local ok=1
        for n in p1 p2 p3; do
            [[ "$(weft "$n" --json task list | grep -c '"title"')" == "$count" ]] || ok=0
        done
        [[ $ok == 1 ]] && return 0
        sleep 0.2
    done
    say "peers did not converge on $count tasks within ${limit}s"
    for n in p1 p2 p3; do say "$n:"; weft "$n" task list || true; weft "$n" peers || true; done
    for n in p1 p2 p3; do say "--- $n log"; tail -n 30 "$RUN/$n.log"; done
    exit 1
}

# --- 1. found, invite, join by mDNS alone -------------------------------------------------
weft p1 init --name Ana >/dev/null
weft p1 community create Riverside >/dev/null
serve p1 "${PEERS[0]}"
CODE="$(weft p1 --json invite --uses 5 | sed -n 's/.*"code": "\(.*\)".*/\1/p')"
[[ -n "$CODE" ]] || { say "no invitation code"; exit 1; }
say "invitation code $CODE (no address: mDNS must find the founder)"
WEFT_LOG=${JOIN_LOG:-warn} ip netns exec "${PEERS[1]}" "$WEFT" --data-dir "$RUN/p2" join "$CODE" --name Bea 2>"$RUN/join2.log" || { cat "$RUN/join2.log"; exit 1; }
WEFT_LOG=${JOIN_LOG:-warn} ip netns exec "${PEERS[2]}" "$WEFT" --data-dir "$RUN/p3" join "$CODE" --name Cai 2>"$RUN/join3.log" || { cat "$RUN/join3.log"; exit 1; }
serve p2 "${PEERS[1]}"
serve p3 "${PEERS[2]}"

# --- 2. everyone edits; everyone converges ---------------------------------------------
for n in p1 p2 p3; do
    weft "$n" task add --title "Soup for the gathering ($n)" --sector food >/dev/null
done
converge 3 60
for n in p2 p3; do
    seen="$(weft "$n" peers)"
    grep -q "found by mdns" <<<"$seen" || { say "$n found nobody by mDNS"; echo "$seen"; exit 1; }
done
say "converged on a clean LAN; peers found by mDNS"

# --- 3. a bad network: 20% loss, 200 ms latency on every link --------------------------
if ip netns exec "${PEERS[0]}" tc qdisc add dev eth0 root netem loss 20% delay 200ms 2>/dev/null; then
    for ns in "${PEERS[@]:1}"; do
        ip netns exec "$ns" tc qdisc add dev eth0 root netem loss 20% delay 200ms
    done
    say "tc netem: 20% loss and 200 ms delay on every peer's link"
else
    # No netem in this kernel: the same impairment in user space, on QUIC. Bea and Cai now
    # reach Ana only through lossy, slow forwarders (and no longer find anyone by mDNS), so
    # every change between them crosses two bad links.
    say "this kernel has no tc netem: impairing the links in user space instead (QUIC through a lossy forwarder)"
    P1ID="$(weft p1 --json peers | sed -n 's/.*"peer_id": "\(12D3[^"]*\)".*/\1/p' | head -n 1)"
    kill -TERM "$PID_p2" "$PID_p3"
    wait "$PID_p2" "$PID_p3" 2>/dev/null || true
    for k in 2 3; do
        ip netns exec "${PEERS[0]}" node tests/netns/impair.mjs 10.77.0.1 500$k 127.0.0.1 4001 0.2 200 300 \
            >"$RUN/impair$k.log" 2>&1 &
        PIDS+=($!)
    done
    until grep -q impair: "$RUN/impair2.log" && grep -q impair: "$RUN/impair3.log"; do sleep 0.1; done
    serve p2 "${PEERS[1]}" --no-mdns --listen /ip4/0.0.0.0/udp/4001/quic-v1 \
        --connect "/ip4/10.77.0.1/udp/5002/quic-v1/p2p/$P1ID"
    serve p3 "${PEERS[2]}" --no-mdns --listen /ip4/0.0.0.0/udp/4001/quic-v1 \
        --connect "/ip4/10.77.0.1/udp/5003/quic-v1/p2p/$P1ID"
fi
for n in p1 p2 p3; do
    for k in 1 2; do
        weft "$n" task add --title "Chairs $k ($n)" --sector maintenance >/dev/null
    done
done
converge 9 120
say "converged with 20% loss and 200 ms latency"
