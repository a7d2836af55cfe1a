/*
 * ocusync/payload.c - the DroneID packet inside the turbo block.
 *
 * OcuSync 2 layout (version 2, pkt_len 88; little-endian), as the NDSS 2023
 * paper and the Wi-Fi DroneID it mirrors describe it:
 *   0 pkt_len  1 (unknown)  2 version  3 sequence u16  5 state_info u16
 *   7 serial[16]  23 lon i32  27 lat i32  31 altitude i16  33 height i16
 *   35 v_north i16  37 v_east i16  39 v_up i16  41 yaw ("d_1_angle") i16
 *   43 gps_time u64 (ms)  51 app_lat i32  55 app_lon i32  59 home_lon i32
 *   63 home_lat i32  67 device_type u8  68 uuid_len u8  69 uuid[20]
 *   89 CRC-16 (poly 0x1021 reflected, register 0x3692) over bytes 0..88.
 * Angles are radians x 1e7; like the reference receiver and DJI's Wi-Fi
 * DroneID decoders we divide by 174533.0 (= 1e7 * pi / 180, rounded).
 * Altitude and height are feet, shown in metres (/ 3.281, 2 decimals).
 */
#include <math.h>
#include <string.h>

#include "core/rd_int.h"
#include "ocusync/rx_int.h"

#define DEG_DIV 174533.0
#define FT_PER_M 3.281

static const struct { unsigned id; const char *name; } device_types[] = {
	{ 1, "Inspire 1" }, { 2, "Phantom 3 Series" }, { 3, "Phantom 3 Series" }, { 4, "Phantom 3 Std" },
	{ 5, "M100" }, { 6, "ACEONE" }, { 7, "WKM" }, { 8, "NAZA" }, { 9, "A2" }, { 10, "A3" },
	{ 11, "Phantom 4" }, { 12, "MG1" }, { 14, "M600" }, { 15, "Phantom 3 4k" }, { 16, "Mavic Pro" },
	{ 17, "Inspire 2" }, { 18, "Phantom 4 Pro" }, { 20, "N2" }, { 21, "Spark" }, { 23, "M600 Pro" },
	{ 24, "Mavic Air" }, { 25, "M200" }, { 26, "Phantom 4 Series" }, { 27, "Phantom 4 Adv" },
	{ 28, "M210" }, { 30, "M210RTK" }, { 31, "A3_AG" }, { 32, "MG2" }, { 34, "MG1A" },
	{ 35, "Phantom 4 RTK" }, { 36, "Phantom 4 Pro V2.0" }, { 38, "MG1P" }, { 40, "MG1P-RTK" },
	{ 41, "Mavic 2" }, { 44, "M200 V2 Series" }, { 51, "Mavic 2 Enterprise" }, { 53, "Mavic Mini" },
	{ 58, "Mavic Air 2" }, { 59, "P4M" }, { 60, "M300 RTK" }, { 61, "DJI FPV" }, { 63, "Mini 2" },
	{ 64, "AGRAS T10" }, { 65, "AGRAS T30" }, { 66, "Air 2S" }, { 67, "M30" }, { 68, "DJI Mavic 3" },
	{ 69, "Mavic 2 Enterprise Advanced" }, { 70, "Mini SE" },
};

static const char *device_name(unsigned id)
{
	for (size_t i = 0; i < sizeof(device_types) / sizeof(device_types[0]); i++)
		if (device_types[i].id == id) return device_types[i].name;
	return NULL;
}

/* printable ASCII up to the first NUL, others as '?' */
static void text_field(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap && p[i]; i++) out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[k] = 0;
}

void os_payload_parse(dv_ocusync_frame *f, const uint8_t block[OS_BLOCK])
{
	memcpy(f->raw, block, OS_BLOCK);
	f->crc24_ok = os_crc24a(block, OS_BLOCK) == 0;
	dv_rd r = dv_rd_init(block, OS_PAYLOAD, "droneid", 0);
	uint8_t len = 0, unk, ver = 0;
	(void)dv_rd_u8(&r, &len);
	(void)dv_rd_u8(&r, &unk);
	(void)dv_rd_u8(&r, &ver);
	f->pkt_len = len;
	f->version = ver;
	f->crc16_ok = false;
	/* the CRC-16 follows pkt_len + 1 bytes; it must fit in the payload */
	if ((size_t)len + 3 <= OS_PAYLOAD) {
		dv_rd c = dv_rd_init(block, OS_PAYLOAD, "droneid", 0);
		uint16_t crc = 0;
		if (dv_rd_skip(&c, (size_t)len + 1) == 0 && dv_rd_u16le(&c, &crc) == 0) {
			f->crc_packet = crc;
			f->crc_calculated = os_crc16(block, (size_t)len + 1, OS_CRC16_INIT);
			f->crc16_ok = f->crc_packet == f->crc_calculated;
		}
	}
	f->decoded = f->crc24_ok && f->crc16_ok;
	if (len != 88) return; /* not the OcuSync 2 layout: fields unknown */
	uint16_t seq = 0, state = 0, u16[6] = { 0 };
	uint32_t lon = 0, lat = 0, app_lat = 0, app_lon = 0, hlon = 0, hlat = 0;
	uint64_t t = 0;
	uint8_t dev = 0, ulen = 0;
	const uint8_t *serial = NULL, *uuid = NULL;
	if (dv_rd_u16le(&r, &seq) < 0 || dv_rd_u16le(&r, &state) < 0 || dv_rd_view(&r, 16, &serial) < 0 ||
	    dv_rd_u32le(&r, &lon) < 0 || dv_rd_u32le(&r, &lat) < 0)
		return;
	for (int i = 0; i < 6; i++)
		if (dv_rd_u16le(&r, &u16[i]) < 0) return;
	if (dv_rd_u64le(&r, &t) < 0 || dv_rd_u32le(&r, &app_lat) < 0 || dv_rd_u32le(&r, &app_lon) < 0 ||
	    dv_rd_u32le(&r, &hlon) < 0 || dv_rd_u32le(&r, &hlat) < 0 || dv_rd_u8(&r, &dev) < 0 ||
	    dv_rd_u8(&r, &ulen) < 0 || dv_rd_view(&r, 20, &uuid) < 0)
		return;
	f->sequence = seq;
	f->state_info = state;
	text_field(f->serial, sizeof(f->serial), serial, 16);
	f->lon = (int32_t)lon / DEG_DIV;
	f->lat = (int32_t)lat / DEG_DIV;
	f->altitude_m = round((int16_t)u16[0] / FT_PER_M * 100) / 100;
	f->height_m = round((int16_t)u16[1] / FT_PER_M * 100) / 100;
	f->v_north = (int16_t)u16[2];
	f->v_east = (int16_t)u16[3];
	f->v_up = (int16_t)u16[4];
	f->yaw = (int16_t)u16[5];
	f->gps_time_ms = t;
	f->app_lat = (int32_t)app_lat / DEG_DIV;
	f->app_lon = (int32_t)app_lon / DEG_DIV;
	f->home_lon = (int32_t)hlon / DEG_DIV;
	f->home_lat = (int32_t)hlat / DEG_DIV;
	f->device_type = dev;
	f->device_name = device_name(dev);
	f->uuid_len = ulen;
	text_field(f->uuid, sizeof(f->uuid), uuid, ulen < 20 ? ulen : 20);
}

static void put16(uint8_t *p, int v) { p[0] = (uint8_t)v, p[1] = (uint8_t)((unsigned)v >> 8); }
static void put32(uint8_t *p, int32_t v)
{
	for (int i = 0; i < 4; i++) p[i] = (uint8_t)((uint32_t)v >> (8 * i));
}

void os_payload_build(uint8_t payload[OS_PAYLOAD], const dv_ocusync_frame *f)
{
	memset(payload, 0, OS_PAYLOAD);
	payload[0] = 88;
	payload[1] = 0x10;
	payload[2] = 2;
	put16(payload + 3, (int)f->sequence);
	put16(payload + 5, (int)f->state_info);
	memcpy(payload + 7, f->serial, strnlen(f->serial, 16));
	put32(payload + 23, (int32_t)lround(f->lon * DEG_DIV));
	put32(payload + 27, (int32_t)lround(f->lat * DEG_DIV));
	put16(payload + 31, (int)lround(f->altitude_m * FT_PER_M));
	put16(payload + 33, (int)lround(f->height_m * FT_PER_M));
	put16(payload + 35, f->v_north);
	put16(payload + 37, f->v_east);
	put16(payload + 39, f->v_up);
	put16(payload + 41, f->yaw);
	for (int i = 0; i < 8; i++) payload[43 + i] = (uint8_t)(f->gps_time_ms >> (8 * i));
	put32(payload + 51, (int32_t)lround(f->app_lat * DEG_DIV));
	put32(payload + 55, (int32_t)lround(f->app_lon * DEG_DIV));
	put32(payload + 59, (int32_t)lround(f->home_lon * DEG_DIV));
	put32(payload + 63, (int32_t)lround(f->home_lat * DEG_DIV));
	payload[67] = (uint8_t)f->device_type;
	size_t ul = strnlen(f->uuid, 20);
	payload[68] = (uint8_t)ul;
	memcpy(payload + 69, f->uuid, ul);
	put16(payload + 89, os_crc16(payload, 89, OS_CRC16_INIT));
}

int os_frame_from_llr(dv_ocusync_frame *f, const float *llr)
{
	uint8_t block[OS_BLOCK];
	int ok = 0;
	int it = os_decode_llr(block, &ok, llr, 8);
	if (it < 0) return -1;
	f->turbo_iterations = it;
	os_payload_parse(f, block);
	return 0;
}
