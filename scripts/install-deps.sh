#!/usr/bin/env bash
# install-deps.sh - the Debian 12 packages dronevault builds, tests and
# benchmarks with. Both README commands call this; so does CI.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # libraries
  libsodium-dev libssl-dev libsqlite3-dev libseccomp-dev libtsk-dev libjson-c-dev
  # tests: FAT/exFAT images made without mounting, a FUSE mount of them
  dosfstools mtools exfatprogs exfat-fuse fusefat sqlite3 xxd
)
# Areas add their packages below, one line each, with the reason.
PACKAGES+=(libjpeg62-turbo-dev)  # sample: JPEGs of the synthetic demo card
PACKAGES+=(libgeos-dev libproj-dev libzip-dev libxml2-dev libgdal-dev postgresql-15-postgis-3)  # geo: GEOS STRtree/prepared polygons, PROJ geodesics for circles, KMZ (zip) + KML/WPML/GPX (XML) plans, GDAL DEMs for AGL limits; PostGIS for the cross-check test and benchmark
PACKAGES+=(libexif-dev libxml2-dev)  # telemetry: EXIF via libexif; DJI XMP via libxml2 (recover mode reads DJI's malformed packets)
PACKAGES+=(gdal-bin libimage-exiftool-perl)  # telemetry tests/bench: ogrinfo opens our GeoJSON/GPX/KML tracks; exiftool is the photo benchmark baseline
PACKAGES+=(libavformat-dev)  # telemetry: MP4/MOV creation time, duration, codec and the ©xyz position through libavformat's mov demuxer (header only)
PACKAGES+=(python3 bc)  # telemetry: tests/e2e/inspect.sh checks JSON with python3; bench/telemetry computes ratios with bc
PACKAGES+=(libpcap-dev libloc-dev libloc-database libndpi-dev)  # audit: pcap/pcapng reading (libpcap), country/ASN/anycast of destinations (libloc + IPFire database), application protocol (nDPI 4.2)
PACKAGES+=(tshark wireshark-common libndpi-bin)  # audit benchmark only (bench/audit): tshark and ndpiReader to compare with, mergecap to build the 1 GB capture
PACKAGES+=(libpcap-dev libjson-c-dev)  # radio: Remote ID from 802.11/BLE captures (libpcap reads pcap and pcapng), JSON/GeoJSON report (json-c)
PACKAGES+=(tshark)  # radio: baseline of bench/radio/run.sh (Wireshark 4.0 dissection of the same captures)
PACKAGES+=(man-db)  # package test (tests/e2e/package.sh): man -w finds the installed dronevault(1); dpkg-shlibdeps and objdump come with build-essential
PACKAGES+=(colmap)  # exports e2e: colmap model_converter must read the COLMAP text model (about 40 packages, Qt5 libraries)
PACKAGES+=(libewf-dev ewf-tools)  # acquisition: E01 images' embedded MD5/SHA-1 (libewf, which libtsk reads them with); ewfacquire makes the test images
PACKAGES+=(chromium)  # audit e2e: the HTML report must render in headless Chromium inside a namespace with no network
PACKAGES+=(nftables dnsmasq-base unbound tcpreplay tcpdump iproute2 util-linux strace)  # enforce: lockdown --apply/--check runs nft; namespace tests load the rules, start dnsmasq, check unbound lists, replay captures into a veth (tcpreplay) and witness the self-audit with strace
PACKAGES+=(libfftw3-dev)  # ocusync: FFTs of the DroneID bursts (band selection, resampling to 15.36 Msps, OFDM demodulation)
PACKAGES+=(libmicrohttpd-dev curl chromium wrk)  # serve: the local read-only web page (libmicrohttpd, loopback only); curl and headless chromium drive its tests; wrk its benchmark (bench/serve)
PACKAGES+=(ffmpeg)  # serve browser test only: makes the short H.264 MP4 the page plays through range requests
PACKAGES+=(libpq-dev postgresql)  # vault: the PostgreSQL catalog backend (libpq); its tests start a throwaway PostgreSQL 15 cluster
PACKAGES+=(faketime)  # vault tests: a station whose clock is set back (libfaketime) must not sign past its revocation (catalog_pg_stations)
PACKAGES+=(libcurl4-openssl-dev)  # s3: the S3 blob backend talks HTTPS through libcurl (CURLOPT_AWS_SIGV4); replaces libcurl4-gnutls-dev, which GDAL/PROJ accept either way
PACKAGES+=(radosgw ceph-mon ceph-osd ceph-common openssl)  # s3 tests/bench: scripts/s3-gateway.sh runs a one-node Ceph RADOS Gateway (S3 with Object Lock) on 127.0.0.1; 22.6 s to install here (apt-get update + ~60 packages, 2 shared cores)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages (exports: jsonld for the CASE/UCO check, world-atlas base map)
bash "$(dirname "$0")/install-npm.sh"
