#!/usr/bin/env bash
# Two Weft peers at home behind NAT routers reach each other through an always-on member on
# the internet that relays (circuit relay v2), and try to punch a hole to each other (DCUtR):
#
#   internet 198.51.100.0/24:   R .10 (weft serve --external)   router A .1   router B .2
#   home A 10.1.0.0/24:         A 10.1.0.2, default route via router A (nftables masquerade)
#   home B 10.2.0.0/24:         B 10.2.0.2, default route via router B (nftables masquerade)
#
# A and B cannot dial each other's private addresses; R founds the community and invites them
# (the link carries R's public addresses). Nobody finds anybody by mDNS.
#
#   1. home routers (TCP): the NATs keep the source port when it is free and drop what nobody
#      asked for, like real home routers. B reaches A through R's relay; they sync; an edit
#      on A reaches B; and DCUtR upgrades A–B to a direct TCP connection through both NATs.
#   2. the same over QUIC.
#   3. B behind a strict NAT (a new random public port for every connection, and nothing in
#      but R's answers): the hole punch cannot work, and A and B still converge through R's
#      relay.
#
# A and B know only R. Each dials every fellow member's device at the circuit address of the
# relay it holds a slot on (a device's peer id comes from its key, in the people document),
# which is how they find each other. HINT=1 gives B A's circuit address by hand as well.
#
# PLAIN_NAT=1 leaves out the routers' firewall (masquerade alone): a Linux router then takes
# the peer's first punching packet for itself, its conntrack entry holds the port, and the
# masquerade gives the outgoing packets another one, so the hole punch fails (phases 1 and 2).
#
# Needs root (ip netns) and nftables (installed if missing). Every wait is bounded;
# everything is cleaned up on exit. KEEP=1 keeps the data directories and logs.
set -euo pipefail
cd "$(dirname "$0")/../.."

WEFT="${WEFT:-target/debug/weft}"
[[ -x "$WEFT" ]] || cargo build --workspace --locked --quiet
WEFT="$(realpath "$WEFT")"
if ! command -v nft >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >/dev/null
fi
command -v node >/dev/null || { echo "this test reads \`weft --json\` with node" >&2; exit 1; }
RUN="$(mktemp -d)"
NET=wnet$$ NSR=wr$$ NATA=wnata$$ NATB=wnatb$$ NSA=wa$$ NSB=wb$$
NAMESPACES=("$NSA" "$NSB" "$NATA" "$NATB" "$NSR" "$NET")
PIDS=()
declare -A PID
# The libp2p lines this test reads: connections established, hole punches attempted.
LOG="${WEFT_LOG:-info,libp2p_swarm=debug,libp2p_dcutr=debug}"
R_IP=198.51.100.10

say() { printf '[nat] %s\n' "$*"; }
fail() {
    say "FAILED: $*"
    for n in r a b; do
        [[ -S "$RUN/$n/control.sock" ]] || continue
        say "--- $n peers"; weft "$n" peers 2>&1 || true
    done
    for n in a b; do
        [[ -f "$RUN/$n.log" ]] || continue
        say "--- $n log (last lines)"; plain "$RUN/$n.log" | grep -v gossipsub | tail -n 25
    done
    exit 1
}

cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if [[ "${KEEP:-}" == "" ]]; then rm -rf "$RUN"; else say "kept $RUN"; fi
}
trap cleanup EXIT

# Logs without colours.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$@"; }

# --- the network ------------------------------------------------------------------------
for ns in "${NAMESPACES[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
# A cable: interface $2 in namespace $3 to interface $4 in namespace $5 ($1 names it).
cable() {
    ip link add "v$1$$" type veth peer name "w$1$$"
    ip link set "v$1$$" netns "$3"
    ip link set "w$1$$" netns "$5"
    ip -n "$3" link set "v$1$$" name "$2"
    ip -n "$5" link set "w$1$$" name "$4"
    ip -n "$3" link set "$2" up
    ip -n "$5" link set "$4" up
}
ip -n "$NET" link add br0 type bridge
ip -n "$NET" link set br0 up
cable r eth0 "$NSR" pr "$NET"
ip -n "$NET" link set pr master br0
ip -n "$NSR" addr add "$R_IP/24" dev eth0
k=0
for side in a b; do
    k=$((k + 1))
    nat=$NATA home=$NSA
    [[ $side == b ]] && nat=$NATB home=$NSB
    cable "w$side" wan "$nat" "p$side" "$NET"
    ip -n "$NET" link set "p$side" master br0
    ip -n "$nat" addr add "198.51.100.$k/24" dev wan
    cable "l$side" lan "$nat" eth0 "$home"
    ip -n "$nat" addr add "10.$k.0.1/24" dev lan
    ip -n "$home" addr add "10.$k.0.2/24" dev eth0
    ip -n "$home" route add default via "10.$k.0.1"
    ip netns exec "$nat" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
done

# The router in namespace $1 becomes a home router ("home": the source port is kept when it
# is free, nothing comes in that was not asked for) or a strict one ("strict": a random
# public port for every connection, nothing comes in but R's answers).
router() {
    local ns=$1 mode=$2 map="" from=""
    if [[ $mode == strict ]]; then
        map=fully-random
        from="ip saddr $R_IP"
    fi
    local filter=""
    if [[ ${PLAIN_NAT:-} == "" || $mode == strict ]]; then
        filter="
table inet filter {
    chain input {
        type filter hook input priority filter; policy accept;
        iifname \"wan\" $from ct state established,related accept
        iifname \"wan\" drop
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname \"wan\" $from ct state established,related accept
        iifname \"wan\" drop
    }
}"
    fi
    ip netns exec "$ns" nft -f - <<EOF
flush ruleset
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade $map
    }
}
$filter
EOF
}
router "$NATA" home
router "$NATB" home
# No router knows a way to the other home: A cannot dial B's private address, nor B A's.
for pair in "$NATA 10.2.0.2" "$NATB 10.1.0.2"; do
    ! ip -n "${pair% *}" route get "${pair#* }" >/dev/null 2>&1 || fail "the homes are not separate"
done

# --- the peers --------------------------------------------------------------------------
weft() { local n=$1; shift; "$WEFT" --data-dir "$RUN/$n" "$@"; }
serve() {
    local n=$1 ns=$2
    shift 2
    rm -f "$RUN/$n/control.sock"
    echo "=== weft serve $*" >>"$RUN/$n.log"
    NO_COLOR=1 WEFT_LOG="$LOG" ip netns exec "$ns" "$WEFT" --data-dir "$RUN/$n" serve --no-mdns "$@" >>"$RUN/$n.log" 2>&1 &
    PID[$n]=$!
    PIDS+=($!)
    # The control socket appears once the peer runs.
    for _ in $(seq 100); do [[ -S "$RUN/$n/control.sock" ]] && return 0; sleep 0.1; done
    fail "peer $n did not start"
}
stop() {
    local n=$1
    [[ -n "${PID[$n]:-}" ]] || return 0
    kill -TERM "${PID[$n]}" 2>/dev/null || true
    wait "${PID[$n]}" 2>/dev/null || true
    PID[$n]=""
}
# Reads `weft --json peers` of $1 with a small JavaScript expression over `p` (the output).
peers() {
    weft "$1" --json peers | node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
            const p = JSON.parse(s); const r = (0, eval)("(p, a) => " + process.argv[1])(p, process.argv.slice(2));
            if (r !== undefined && r !== null && r !== false) console.log(typeof r === "string" ? r : JSON.stringify(r));
        })' "$2" "${@:3}"
}
# How peer $1 sees peer id $2: "found_by address", in sync on every document; nothing if not.
seen() { peers "$1" 'p.peers.filter(x => x.peer_id == a[0] && x.docs.length > 0 && x.docs.every(d => d.state.state == "in_sync")).map(x => x.found_by + " " + x.address)[0]' "$2" || true; }
has_task() { weft "$1" --json task list | grep -qF "\"title\": \"$2\""; }
# The lines of $1's log since its last start.
since_start() { plain "$RUN/$1.log" | awk '/^=== weft serve/ { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }'; }
# A direct (not relayed) libp2p connection of peer $1 to peer id $2 at the public address $3.
# Runs a command every 0.2 s until it succeeds; fails saying why after so many seconds.
within() {
    local deadline=$((SECONDS + $1)) why=$2
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || fail "$why"
        sleep 0.2
    done
}
# Whether A and B see each other in sync, found through the relay (sets ab and ba).
synced_via_relay() { ab="$(seen a "$BID")" ba="$(seen b "$AID")"; [[ $ab == relay* && $ba == relay* ]]; }
# Whether A and B each logged a direct connection to the other's router (sets ab and ba).
connected_directly() { ab="$(direct a "$BID" 198.51.100.2)" ba="$(direct b "$AID" 198.51.100.1)"; [[ -n $ab && -n $ba ]]; }
has_relay_slot() { peers "$1" 'p.listening.some(l => l.includes("p2p-circuit"))' | grep -q true; }
tried_to_punch() { since_start "$1" | grep -q "Attempting to hole-punch.*target=$2"; }
direct() { since_start "$1" | grep "Connection established peer=$2 " | grep -F "/ip4/$3/" | grep -v p2p-circuit | head -n 1 || true; }

weft r init --name Rosa >/dev/null
weft r community create Riverside >/dev/null
serve r "$NSR" --listen /ip4/0.0.0.0/tcp/4001 --listen /ip4/0.0.0.0/udp/4001/quic-v1 \
    --external "/ip4/$R_IP/tcp/4001" --external "/ip4/$R_IP/udp/4001/quic-v1"
RID="$(peers r 'p.peer_id')"
LINK="$(weft r --json invite --uses 2 | sed -n 's/.*"link": "\(.*\)".*/\1/p')"
grep -q "$R_IP" <<<"$LINK" || fail "the invitation link carries no public address of R: $LINK"
for n in a b; do
    name=Abe ns=$NSA
    [[ $n == b ]] && name=Bo ns=$NSB
    NO_COLOR=1 ip netns exec "$ns" "$WEFT" --data-dir "$RUN/$n" join "$LINK" --name "$name" >/dev/null 2>"$RUN/join-$n.log" ||
        { cat "$RUN/join-$n.log"; fail "$n could not join through R's public address"; }
done
say "R ($R_IP) founded the community; A and B, behind NAT, joined with R's link"

# One phase: A and B (re)start on port $2 and reach R over $1 (tcp or quic), B behind a
# router of kind $3. Sets AID and BID.
phase() {
    local transport=$1 port=$2 mode=$3
    stop a
    stop b
    router "$NATB" "$mode"
    local via="/ip4/$R_IP/tcp/4001/p2p/$RID"
    [[ $transport == quic ]] && via="/ip4/$R_IP/udp/4001/quic-v1/p2p/$RID"
    local listen=(--listen "/ip4/0.0.0.0/tcp/$port" --listen "/ip4/0.0.0.0/udp/$port/quic-v1")
    serve a "$NSA" "${listen[@]}" --connect "$via"
    AID="$(peers a 'p.peer_id')"
    # A takes a slot on R: it is reachable at R's circuit address.
    within 15 "A took no relay slot on R within 15 s" has_relay_slot a
    # B's first dial through R is refused while B is still dialing R itself; it dials again a
    # second later, once identify has told B its public address, which DCUtR needs.
    local hint=()
    [[ ${HINT:-} == "" ]] || hint=(--connect "$via/p2p-circuit/p2p/$AID")
    serve b "$NSB" "${listen[@]}" --connect "$via" "${hint[@]}"
    BID="$(peers b 'p.peer_id')"
    # B reaches A through R's relay, and they sync with each other.
    within 20 "A and B did not sync with each other through R within 20 s" synced_via_relay
    say "A sees B: found by $ab"
    say "B sees A: found by $ba"
    # An edit on A reaches B.
    local title="Mend the fence ($transport, $mode NAT)"
    weft a task add --title "$title" --sector maintenance >/dev/null
    within 20 "B did not get A's edit within 20 s" has_task b "$title"
    say "A's edit reached B"
}

# Waits (bounded) for DCUtR's direct connection between A and B through both NATs.
punched() {
    local transport=$1
    within 15 "no direct $transport connection between A and B within 15 s (the hole punch failed)" connected_directly
    say "A: ${ab#*Connection established }"
    say "B: ${ba#*Connection established }"
    if [[ $transport == tcp ]]; then
        # The kernel agrees: A has a TCP connection with B's router, not only with R.
        local sock
        sock="$(ip netns exec "$NSA" ss -Htn state established dst 198.51.100.2)"
        [[ -n $sock ]] || fail "A's libp2p reports a direct connection but A has no TCP connection with B's router"
        say "A's socket: $(tr -s ' ' <<<"$sock")"
    fi
    # What `weft peers` shows: the swarm's live address, the punched one.
    local shown
    shown="$(peers b 'p.peers.filter(x => x.peer_id == a[0]).map(x => x.found_by + " " + x.address)[0]' "$AID")"
    if [[ $shown == *p2p-circuit* ]]; then
        say "note: B's \`weft peers\` still shows A at the relayed address ($shown)"
    else
        say "B's \`weft peers\` shows A at $shown"
    fi
}

# --- 1. home NATs, TCP ------------------------------------------------------------------------
say "phase 1: home NATs, TCP"
phase tcp 4011 home
punched tcp
say "phase 1: DCUtR punched a direct TCP connection through both NATs"

# --- 2. home NATs, QUIC -----------------------------------------------------------------------
say "phase 2: home NATs, QUIC"
phase quic 4012 home
punched quic
say "phase 2: DCUtR punched a direct QUIC connection through both NATs"

# --- 3. B behind a strict NAT: only the relay -------------------------------------------------
say "phase 3: B behind a strict NAT (random port per connection, nothing in but R), TCP"
phase tcp 4013 strict
within 15 "A never tried to punch a hole to B" tried_to_punch a "$BID"
say "A tried: $(since_start a | grep -o "Attempting to hole-punch.*target=$BID.*" | head -n 1)"
# The phase above went on for a while after the attempt (a sync and an edit); a punch that
# worked would have connected within milliseconds, as in phase 1.
ab="$(direct a "$BID" 198.51.100.2)" ba="$(direct b "$AID" 198.51.100.1)"
[[ -z $ab && -z $ba ]] || fail "a direct connection through a strict NAT: '$ab' '$ba'"
[[ -z "$(ip netns exec "$NSA" ss -Htn state established dst 198.51.100.2)" ]] || fail "A has a TCP connection with B's router"
[[ "$(seen b "$AID")" == relay*p2p-circuit* ]] || fail "B does not see A through the relay"
say "phase 3: no direct path; A and B converged through R's relay"
say "all phases passed"
