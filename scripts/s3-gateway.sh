#!/usr/bin/env bash
# s3-gateway.sh - a throwaway S3 server with Object Lock on 127.0.0.1 for
# dronevault's tests and benchmarks: a one-node Ceph cluster (one monitor,
# one memstore OSD, no mgr) and a RADOS Gateway with a plain HTTP and a TLS
# endpoint. Debian 12 packages radosgw, ceph-mon, ceph-osd, ceph-common
# (scripts/install-deps.sh installs them). No systemd, no root needed beyond
# what the packages' binaries need; all state lives in DIR.
#
#   s3-gateway.sh start DIR      make DIR (must not hold a running gateway), a test
#                                CA and a certificate for 127.0.0.1/localhost, the
#                                cluster, the gateway and one S3 user; prints
#                                shell exports (endpoints, CA file, keys)
#   s3-gateway.sh stop DIR       SIGKILL the daemons started from DIR (by their PID
#                                files) and remove DIR
#   s3-gateway.sh env DIR        print the exports again
#   s3-gateway.sh kill-rgw DIR   SIGKILL radosgw only (fault tests: the monitor and
#                                the OSD stay up, since a memstore OSD keeps the
#                                data in RAM and would lose acknowledged objects)
#   s3-gateway.sh start-rgw DIR  start radosgw again after kill-rgw
#
# Environment: S3GW_HTTP_PORT (17480), S3GW_HTTPS_PORT (17443), S3GW_MON_PORT
# (17789), S3GW_OSD_PORTS (17800: the OSD takes 4 ports of the 50 from there),
# S3GW_MEM_BYTES (memstore capacity, 2 GiB; RAM use is about twice the data).
# Exit 77 when the Ceph binaries are absent (tests then report skipped).
#
# Cluster authentication is off (every socket is on loopback, and this is a
# throwaway); S3 requests are still SigV4-checked against the user's keys.
set -euo pipefail

usage() { echo "usage: $0 start|stop|env|kill-rgw|start-rgw DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

http_port=${S3GW_HTTP_PORT:-17480}
https_port=${S3GW_HTTPS_PORT:-17443}
mon_port=${S3GW_MON_PORT:-17789}
osd_ports=${S3GW_OSD_PORTS:-17800}
mem_bytes=${S3GW_MEM_BYTES:-2147483648}
access_key=DVTESTACCESSKEY00001
secret_key=dvtestsecretkey0000000000000000000000001
conf=$dir/ceph.conf

say() { echo "s3-gateway: $*" >&2; }

have_ceph() {
  local b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool openssl curl; do
    command -v "$b" >/dev/null 2>&1 || { say "$b not installed (scripts/install-deps.sh)"; return 1; }
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# run NAME CMD...: CMD in the foreground mode of the daemon (-f), in its own
# session, in the background; its PID in run/NAME.pid
run() {
  local name=$1; shift
  setsid "$@" -f </dev/null >>"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/run/$name.pid"
}

# until_up NAME SECONDS CHECK...: poll CHECK; fail early when NAME died
until_up() {
  local name=$1 limit=$(( SECONDS + $2 )); shift 2
  local pid; pid=$(cat "$dir/run/$name.pid")
  while ! "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || grep -qs 'failed initializing frontend' "$dir/log/$name.out"; then
      say "$name died; its log:"; tail -n 8 "$dir/log/$name.out" "$dir/log/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    if [ $SECONDS -ge $limit ]; then say "$name: not up after $2 s"; return 1; fi
    sleep 0.3
  done
}

kill_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

signed() { # a SigV4-signed request with the test user's keys
  curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# A test CA and a server certificate for 127.0.0.1 and localhost (SAN),
# both made here: nothing outside DIR trusts them.
make_tls() {
  local t=$dir/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dronevault test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$t/server.key" \
    -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$t/ext.cnf"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 2 -extfile "$t/ext.cnf" -out "$t/server.pem" 2>/dev/null
  chmod 600 "$t/ca.key" "$t/server.key"
}

write_conf() {
  cat >"$conf" <<EOF
[global]
fsid = $1
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $osd_ports
ms bind port max = $(( osd_ports + 49 ))
auth cluster required = none
auth service required = none
auth client required = none
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
keyring = $dir/keyring
crash dir = $dir/crash
# one OSD: pools of size 1, few placement groups, failure domain the OSD
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $dir/mon/\$cluster-\$id

[osd]
osd data = $dir/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = $mem_bytes
osd memory target = 1073741824

[client]
# with auth none the monitor cannot do radosgw's default "secure" client
# mode: without this radosgw hangs for minutes at start
ms mon client mode = crc
client mount timeout = 30
rgw data = $dir/rgw
# tcp_nodelay: without it every TLS response waits ~40 ms for a delayed ACK
# (Nagle), which made a 50-blob export take 5 s instead of 0.4 s
rgw frontends = beast endpoint=127.0.0.1:$http_port ssl_endpoint=127.0.0.1:$https_port ssl_certificate=$dir/tls/server.pem ssl_private_key=$dir/tls/server.key tcp_nodelay=1
rgw enable usage log = false
EOF
}

start_rgw() {
  : >"$dir/log/client.rgw.gw.out"
  for p in $http_port $https_port; do
    # a killed radosgw's ports come back after a moment
    for _ in $(seq 1 100); do port_free "$p" && break; sleep 0.1; done
  done
  run client.rgw.gw radosgw -c "$conf" -n client.rgw.gw
  until_up client.rgw.gw 90 curl -sf -o /dev/null "http://127.0.0.1:$http_port/"
}

do_env() {
  cat <<EOF
export DV_S3_HTTP=http://127.0.0.1:$http_port
export DV_S3_HTTPS=https://127.0.0.1:$https_port
export DV_S3_CA=$dir/tls/ca.pem
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_DEFAULT_REGION=us-east-1
EOF
}

do_start() {
  have_ceph || exit 77
  if [ -f "$dir/run/mon.a.pid" ] && kill -0 "$(cat "$dir/run/mon.a.pid")" 2>/dev/null; then
    say "a gateway runs from $dir already (stop it first)"; exit 1
  fi
  local p
  for p in $http_port $https_port $mon_port; do
    port_free "$p" || { say "port 127.0.0.1:$p is taken"; exit 1; }
  done
  local t0=$SECONDS
  trap 'say "start failed; logs in $dir/log"; stop_all; exit 1' ERR
  rm -rf "$dir"
  mkdir -p "$dir"/run "$dir"/log "$dir"/mon "$dir"/osd/ceph-0 "$dir"/rgw "$dir"/crash
  make_tls
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >>"$dir/log/setup.log" 2>&1
  run mon.a ceph-mon -c "$conf" -i a
  until_up mon.a 30 ceph -c "$conf" --connect-timeout 2 mon stat

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  [ "$(ceph -c "$conf" osd new "$osd_uuid")" = 0 ] || { say "the OSD did not get id 0"; false; }
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/setup.log" 2>&1
  run osd.0 ceph-osd -c "$conf" -i 0
  until_up osd.0 60 bash -c "ceph -c '$conf' osd dump | grep -q '^osd.0 up'"

  start_rgw
  radosgw-admin -c "$conf" user create --uid dvtest --display-name "dronevault tests" \
    --access-key "$access_key" --secret-key "$secret_key" >"$dir/user.json"
  until_up client.rgw.gw 30 signed -f -o /dev/null "http://127.0.0.1:$http_port/"
  until_up client.rgw.gw 10 signed -f -o /dev/null --cacert "$dir/tls/ca.pem" "https://127.0.0.1:$https_port/"
  # the first write creates the data pools: do it now, not in a timed test
  local b=warmup$RANDOM
  signed -f -o /dev/null -X PUT "http://127.0.0.1:$http_port/$b"
  signed -f -o /dev/null -X PUT --data-binary x "http://127.0.0.1:$http_port/$b/x"
  signed -f -o /dev/null -X DELETE "http://127.0.0.1:$http_port/$b/x"
  signed -f -o /dev/null -X DELETE "http://127.0.0.1:$http_port/$b"
  trap - ERR
  say "ready in $(( SECONDS - t0 )) s: http://127.0.0.1:$http_port, https://127.0.0.1:$https_port"
  do_env
}

stop_all() {
  kill_pidfile "$dir/run/client.rgw.gw.pid"
  kill_pidfile "$dir/run/osd.0.pid"
  kill_pidfile "$dir/run/mon.a.pid"
}

case $cmd in
  start) do_start ;;
  stop) [ -d "$dir/run" ] || exit 0; stop_all; rm -rf "$dir" ;;
  env) do_env ;;
  kill-rgw) kill_pidfile "$dir/run/client.rgw.gw.pid" ;;
  start-rgw) start_rgw ;;
  *) usage ;;
esac
