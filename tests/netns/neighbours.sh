#!/usr/bin/env bash
# Two neighbouring communities, each on its own LAN, joined only by their always-on peers
# over a routed link:
#
#   LAN 1 10.81.1.0/24 (bridge):  a1 .1   a2 .2   a3 .3        community Coast
#   LAN 2 10.81.2.0/24 (bridge):  b1 .1   b2 .2   b3 .3        community Hills
#   routed link:  a1 10.81.10.2 -- router 10.81.10.1 | 10.81.20.1 -- b1 10.81.20.2
#
# a1 and b1 each have a second interface on the router's subnets and a route to the other's;
# nobody else has a route off their LAN (and neither a1 nor b1 forwards), so Coast's other
# peers and Hills' other peers can never reach each other: whatever crosses goes through a1
# and b1. Within a LAN, peers find each other by mDNS.
#
#   1. Coast forms on LAN 1 and Hills on LAN 2; the newcomers join by the short code alone.
#   2. a1 invites Hills to be neighbours (the link carries a1's routed address); b1 accepts.
#      Every peer of both sides sees the link standing on both sides.
#   3. An urgent task of Coast, due today, posted by a2, escalates by itself: every peer of
#      Hills sees Coast's call. An offer posted by b2 reaches every peer of Coast.
#   4. Nothing else crosses, at any time: Hills' peers list Hills alone, never see Coast's
#      tasks, and hold no people, board or ledger document of Coast (and the other way round).
#   5. `weft peers` still names each peer's fellow members.
#
# Needs root (ip netns) and node (reads `weft --json`). Every wait is bounded; everything is
# cleaned up on exit. KEEP=1 keeps the data directories and logs; WEFT_LOG sets the peers' log.
set -euo pipefail
cd "$(dirname "$0")/../.."

WEFT="${WEFT:-target/debug/weft}"
[[ -x "$WEFT" ]] || cargo build --workspace --locked --quiet
WEFT="$(realpath "$WEFT")"
command -v node >/dev/null || { echo "this test reads \`weft --json\` with node" >&2; exit 1; }
RUN="$(mktemp -d)"
LAN1=wlan1$$ LAN2=wlan2$$ ROUTER=wrt$$
A=(a1 a2 a3)
B=(b1 b2 b3)
declare -A NS=([a1]=wa1$$ [a2]=wa2$$ [a3]=wa3$$ [b1]=wb1$$ [b2]=wb2$$ [b3]=wb3$$)
NAMESPACES=("${NS[@]}" "$ROUTER" "$LAN1" "$LAN2")
PIDS=()
LOG="${WEFT_LOG:-info}"
A1_ROUTED=10.81.10.2
TODAY="$(date +%F)"
START=$SECONDS

say() { printf '[neighbours] %s\n' "$*"; }
fail() {
    say "FAILED: $*"
    for n in "${A[@]}" "${B[@]}"; do
        [[ -S "$RUN/$n/control.sock" ]] || continue
        say "--- $n: neighbours, calls, offers, peers"
        weft "$n" neighbour list 2>&1 || true
        weft "$n" call list 2>&1 || true
        weft "$n" offer list 2>&1 || true
        weft "$n" peers 2>&1 || true
    done
    for n in "${A[@]}" "${B[@]}"; do
        [[ -f "$RUN/$n.log" ]] || continue
        say "--- $n log (last lines)"
        grep -v gossipsub "$RUN/$n.log" | tail -n 20
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
# Each LAN: a bridge, and every peer on it (eth0) with multicast for mDNS.
for lan in 1 2; do
    hub=$LAN1 peers=("${A[@]}")
    [[ $lan == 2 ]] && hub=$LAN2 peers=("${B[@]}")
    ip -n "$hub" link add br0 type bridge
    ip -n "$hub" link set br0 up
    k=0
    for n in "${peers[@]}"; do
        k=$((k + 1))
        cable "$n" eth0 "${NS[$n]}" "p$n" "$hub"
        ip -n "$hub" link set "p$n" master br0
        ip -n "${NS[$n]}" addr add "10.81.$lan.$k/24" dev eth0
        ip -n "${NS[$n]}" link set eth0 multicast on
        ip -n "${NS[$n]}" route add 224.0.0.0/4 dev eth0
    done
done
# The routed link: a1 and b1 each on one side of a router.
cable ra eth1 "${NS[a1]}" ra "$ROUTER"
cable rb eth1 "${NS[b1]}" rb "$ROUTER"
ip -n "$ROUTER" addr add 10.81.10.1/24 dev ra
ip -n "$ROUTER" addr add 10.81.20.1/24 dev rb
ip netns exec "$ROUTER" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
ip -n "${NS[a1]}" addr add "$A1_ROUTED/24" dev eth1
ip -n "${NS[a1]}" route add 10.81.20.0/24 via 10.81.10.1
ip -n "${NS[b1]}" addr add 10.81.20.2/24 dev eth1
ip -n "${NS[b1]}" route add 10.81.10.0/24 via 10.81.20.1
# a1 and b1 reach each other; nobody else reaches anybody on the other side.
ip -n "${NS[a1]}" route get 10.81.20.2 >/dev/null 2>&1 || fail "a1 has no route to b1"
for n in "${A[@]}"; do
    for far in 10.81.2.1 10.81.2.2 10.81.2.3 10.81.20.2; do
        [[ $n == a1 && $far == 10.81.20.2 ]] && continue
        ! ip -n "${NS[$n]}" route get "$far" >/dev/null 2>&1 || fail "$n has a route to $far"
    done
done
for n in "${B[@]}"; do
    for far in 10.81.1.1 10.81.1.2 10.81.1.3 "$A1_ROUTED"; do
        [[ $n == b1 && $far == "$A1_ROUTED" ]] && continue
        ! ip -n "${NS[$n]}" route get "$far" >/dev/null 2>&1 || fail "$n has a route to $far"
    done
done

# --- the peers --------------------------------------------------------------------------
weft() { local n=$1; shift; "$WEFT" --data-dir "$RUN/$n" "$@"; }
serve() {
    local n=$1
    NO_COLOR=1 WEFT_LOG="$LOG" ip netns exec "${NS[$n]}" "$WEFT" --data-dir "$RUN/$n" serve \
        --listen /ip4/0.0.0.0/tcp/4001 --listen /ip4/0.0.0.0/udp/4001/quic-v1 >>"$RUN/$n.log" 2>&1 &
    PIDS+=($!)
    # The control socket appears once the peer runs.
    for _ in $(seq 100); do [[ -S "$RUN/$n/control.sock" ]] && return 0; sleep 0.1; done
    fail "peer $n did not start"
}
# Runs `weft --json` with the rest of the arguments on peer $1 and prints the JavaScript
# expression $2 over its output `j` (nothing if that is undefined, null or false; `w` is $WANT).
ask() {
    local n=$1 expr=$2
    shift 2
    weft "$n" --json "$@" 2>/dev/null | node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
            let r; try { r = (0, eval)("(j, w) => " + process.argv[1])(JSON.parse(s), process.env.WANT || ""); } catch { return; }
            if (r !== undefined && r !== null && r !== false) console.log(typeof r === "string" ? r : JSON.stringify(r));
        })' "$expr"
}
# Runs a command every 0.3 s until it succeeds; fails saying why after so many seconds.
within() {
    local deadline=$((SECONDS + $1)) why=$2
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || fail "$why"
        sleep 0.3
    done
}
# Whether the check $1 holds of every peer named after it.
all() {
    local check=$1 n
    shift
    for n in "$@"; do "$check" "$n" || return 1; done
}

# Community $1 of three: its founder $2 on peer $3 founds it and serves; the other peers join
# by the short code (mDNS finds the founder) and serve. With two members serving, the last
# newcomer is often admitted by both at once: the roster its commons proves copes with that.
community() {
    local name=$1 founder=$2 first=$3
    shift 3
    weft "$first" init --name "$founder" >/dev/null
    weft "$first" community create "$name" >/dev/null
    serve "$first"
    local code
    code="$(ask "$first" 'j.code' invite --uses 2)"
    [[ -n "$code" ]] || fail "no invitation code from $first"
    for n in "$@"; do
        WEFT_LOG=warn ip netns exec "${NS[$n]}" "$WEFT" --data-dir "$RUN/$n" join "$code" --name "$n of $name" \
            >/dev/null 2>"$RUN/join-$n.log" || { cat "$RUN/join-$n.log"; fail "$n could not join $name by mDNS"; }
        serve "$n"
    done
}
community Coast Ana a1 a2 a3
community Hills Bo b1 b2 b3
has_members() { [[ "$(ask "$1" 'j.length' members)" == 3 ]]; }
within 60 "Coast's peers did not all see three members within 60 s" all has_members "${A[@]}"
within 60 "Hills' peers did not all see three members within 60 s" all has_members "${B[@]}"
COAST="$(ask a1 'j[0].id' community list)"
HILLS="$(ask b1 'j[0].id' community list)"
say "Coast ($COAST) formed on LAN 1 and Hills ($HILLS) on LAN 2, by mDNS alone ($((SECONDS - START)) s)"

# What must never cross, checked at every poll from here on: Hills holds Coast's commons and
# nothing else of Coast, and the other way round.
alone() {
    local n=$1 ours=Coast theirs=$HILLS title="Hills' own chores"
    [[ $n == b* ]] && ours=Hills theirs=$COAST title=$URGENT
    local listed
    listed="$(ask "$n" 'j.map(c => c.name).join(",")' community list)"
    [[ $listed == "$ours" ]] || fail "$n lists the communities '$listed', not $ours alone"
    local board
    board="$(weft "$n" --json task list)" || fail "$n could not list its tasks"
    ! grep -qF "$title" <<<"$board" || fail "$n's board shows '$title' of the other community"
    local held
    held="$(WANT="$theirs" ask "$n" 'j.documents.filter(d => d.community == w && d.name != "commons").map(d => d.name).join(",")' status)"
    [[ -z $held ]] || fail "$n holds the other community's documents: $held"
}
URGENT="Mend the nets"
weft b3 task add --title "Hills' own chores" --sector maintenance >/dev/null

# --- 2. neighbours --------------------------------------------------------------------------
INVITATION="$(ask a1 '[j.link, ...j.addresses].join("\n")' neighbour invite --expires 1d)"
LINK="$(head -n 1 <<<"$INVITATION")"
[[ -n "$LINK" ]] || fail "no neighbour invitation from a1"
grep -q "/ip4/$A1_ROUTED/" <<<"$INVITATION" || fail "a1's neighbour invitation carries no routed address: $INVITATION"
accepted="$(weft b1 neighbour accept "$LINK" 2>&1)" || fail "b1 could not accept Coast's invitation: $accepted"
say "a1 invited Hills; b1 accepted over the routed link ($((SECONDS - START)) s)"
linked() {
    alone "$1"
    [[ "$(ask "$1" 'j.neighbours.length == 1 && j.neighbours[0].live && j.neighbours[0].theirs_live' neighbour list)" == true ]]
}
within 60 "the link did not stand on both sides at every peer within 60 s" all linked "${A[@]}" "${B[@]}"
say "every peer of both communities sees the link standing on both sides ($((SECONDS - START)) s)"

# --- 3. the commons converges -----------------------------------------------------------------
TASK="$(ask a2 'j.id' task add --title "$URGENT" --sector food --hours 3 --slots 2 \
    --urgency urgent --deadline "$TODAY" --location "The harbour" --open-to-neighbours)"
[[ -n "$TASK" ]] || fail "a2 could not post the urgent task"
# Coast's call at peer $1: its own on Coast's side, a neighbour's on Hills'.
called() {
    local ours=true
    [[ $1 == b* ]] && ours=false
    alone "$1"
    [[ "$(WANT="$TASK" ask "$1" "j.some(c => c.task == w && c.escalated && c.open && c.ours == $ours)" call list)" == true ]]
}
within 90 "not every peer saw Coast's escalated call within 90 s" all called "${A[@]}" "${B[@]}"
say "a2's urgent task escalated: every peer of Hills sees Coast's call ($((SECONDS - START)) s)"

OFFER="Spare kale from the terraces"
weft b2 offer post "$OFFER" --sector food >/dev/null
offered() {
    local ours=true
    [[ $1 == a* ]] && ours=false
    alone "$1"
    [[ "$(WANT="$OFFER" ask "$1" "j.some(o => o.title == w && o.community_name == 'Hills' && o.open && o.ours == $ours)" offer list)" == true ]]
}
within 90 "not every peer saw Hills' offer within 90 s" all offered "${B[@]}" "${A[@]}"
say "b2's offer reached every peer of Coast ($((SECONDS - START)) s)"

# --- 4. and nothing else crossed --------------------------------------------------------------
for n in "${A[@]}" "${B[@]}"; do
    alone "$n"
    theirs=$HILLS
    [[ $n == b* ]] && theirs=$COAST
    held="$(WANT="$theirs" ask "$n" 'j.documents.filter(d => d.community == w).map(d => d.name).join(",")' status)"
    [[ $held == commons ]] || fail "$n holds '$held' of the other community, not its commons alone"
done
for n in "${B[@]}"; do
    shown="$(weft "$n" --json task show "$TASK" 2>&1 || true)"
    grep -q no_such_task <<<"$shown" || fail "$n can show Coast's task: $shown"
done
say "nothing but the commons crossed: each side holds only its own people, board and ledgers"
# `weft peers` names every fellow member it syncs the people document with (a fellow member
# also shares the neighbour's commons, whose roster does not name it).
named() {
    [[ "$(ask "$1" '(f => f.length >= 2 && f.every(p => p.member))(j.peers.filter(p => p.docs.some(d => d.doc == "people")))' peers)" == true ]]
}
within 30 "not every peer's \`weft peers\` named its fellow members within 30 s" all named "${A[@]}" "${B[@]}"
say "\`weft peers\` names every peer's fellow members"
say "passed in $((SECONDS - START)) s"
