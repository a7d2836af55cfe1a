/*
 * tls.c - TLS ClientHello, QUIC Initial decryption (RFC 9001 section 5),
 * and Google QUIC CHLO. Every read goes through dv_rd; keys are derived
 * with OpenSSL's HMAC-SHA256 (HKDF written out per RFC 5869) and
 * AES-128-ECB/GCM through EVP.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "core/rd_int.h"
#include "audit/tls_int.h"

/* ---- TLS ClientHello ----------------------------------------------- */

static void copy_name(char *dst, size_t dsz, const uint8_t *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < dsz; i++) {
		uint8_t c = s[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = 0;
}

int dv_tls_parse_client_hello(const uint8_t *hs, size_t n, dv_hello *out)
{
	dv_rd r = dv_rd_init(hs, n, "tls", 0), body, ext;
	uint8_t type, sidlen, complen;
	uint16_t cslen, extlen;
	uint32_t len;
	memset(out, 0, sizeof(*out));
	if (dv_rd_u8(&r, &type) < 0) return DV_ETRUNC;
	if (type != 1) return dv_error_set(DV_EINVAL, "tls", 0, "handshake type %u is not a ClientHello", type);
	uint8_t l3[3];
	if (dv_rd_bytes(&r, l3, 3) < 0) return DV_ETRUNC;
	len = (uint32_t)l3[0] << 16 | (uint32_t)l3[1] << 8 | l3[2];
	if (dv_rd_sub(&r, len, &body) < 0) return DV_ETRUNC;
	if (dv_rd_u16be(&body, &out->legacy_version) < 0 || dv_rd_skip(&body, 32) < 0 ||
	    dv_rd_u8(&body, &sidlen) < 0 || dv_rd_skip(&body, sidlen) < 0 ||
	    dv_rd_u16be(&body, &cslen) < 0 || dv_rd_skip(&body, cslen) < 0 ||
	    dv_rd_u8(&body, &complen) < 0 || dv_rd_skip(&body, complen) < 0)
		return dv_error_set(DV_EINVAL, "tls", dv_rd_offset(&body), "malformed ClientHello");
	if (dv_rd_left(&body) == 0) return 0; /* no extensions */
	if (dv_rd_u16be(&body, &extlen) < 0 || dv_rd_sub(&body, extlen, &ext) < 0)
		return dv_error_set(DV_EINVAL, "tls", dv_rd_offset(&body), "malformed ClientHello extensions");
	while (dv_rd_left(&ext) >= 4) {
		uint16_t et = 0, el = 0;
		dv_rd e;
		dv_rd_u16be(&ext, &et);
		dv_rd_u16be(&ext, &el);
		if (dv_rd_sub(&ext, el, &e) < 0)
			return dv_error_set(DV_EINVAL, "tls", dv_rd_offset(&ext), "extension 0x%04x overruns", et);
		if (et == 0x0000) {
			uint16_t list;
			dv_rd l;
			if (dv_rd_u16be(&e, &list) < 0 || dv_rd_sub(&e, list, &l) < 0) continue;
			while (dv_rd_left(&l) >= 3) {
				uint8_t nt = 0;
				uint16_t nl = 0;
				const uint8_t *name;
				dv_rd_u8(&l, &nt);
				dv_rd_u16be(&l, &nl);
				if (dv_rd_view(&l, nl, &name) < 0) break;
				if (nt == 0 && !out->has_sni) {
					copy_name(out->sni, sizeof(out->sni), name, nl);
					out->has_sni = 1;
				}
			}
		} else if (et == 0x0010) {
			uint16_t list;
			uint8_t pl;
			const uint8_t *pv;
			if (dv_rd_u16be(&e, &list) == 0 && dv_rd_u8(&e, &pl) == 0 && dv_rd_view(&e, pl, &pv) == 0)
				copy_name(out->alpn, sizeof(out->alpn), pv, pl);
		} else if (et == 0xfe0d) {
			out->has_ech = 1;
		} else if (et == 0xffce) {
			out->has_esni = 1;
		}
	}
	return 0;
}

int dv_tls_looks_like_handshake(const uint8_t *p, size_t n)
{
	return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && p[5] == 0x01;
}

int dv_tls_parse_records(const uint8_t *p, size_t n, dv_hello *out)
{
	/* Join the handshake fragments of consecutive records. */
	uint8_t hs[16384 + 4];
	size_t hl = 0, pos = 0, want = 0;
	while (pos + 5 <= n) {
		if (p[pos] != 0x16 || p[pos + 1] != 0x03)
			return dv_error_set(DV_EINVAL, "tls", (int64_t)pos, "not a handshake record");
		size_t rl = (size_t)p[pos + 3] << 8 | p[pos + 4];
		if (rl > 16384 + 2048)
			return dv_error_set(DV_EINVAL, "tls", (int64_t)pos, "record length %zu too large", rl);
		size_t have = n - pos - 5 < rl ? n - pos - 5 : rl;
		size_t take = have < sizeof(hs) - hl ? have : sizeof(hs) - hl;
		memcpy(hs + hl, p + pos + 5, take);
		hl += take;
		if (hl >= 4 && !want) {
			if (hs[0] != 1)
				return dv_error_set(DV_EINVAL, "tls", (int64_t)pos, "handshake type %u is not a ClientHello", hs[0]);
			want = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (want > sizeof(hs))
				return dv_error_set(DV_EINVAL, "tls", (int64_t)pos, "ClientHello of %zu bytes too large", want);
		}
		if (want && hl >= want) return dv_tls_parse_client_hello(hs, want, out);
		if (have < rl) return DV_ETRUNC; /* the record continues in a later segment */
		pos += 5 + rl;
	}
	return DV_ETRUNC;
}

/* ---- QUIC Initial ----------------------------------------------------- */

static const uint8_t salt_v1[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
static const uint8_t salt_v2[20] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };
static const uint8_t salt_d29[20] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 };
static const uint8_t salt_d23[20] = { 0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
	0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02 };

static const uint8_t *quic_salt(uint32_t v)
{
	if (v == 1) return salt_v1;
	if (v == 0x6b3343cf) return salt_v2;
	if (v >= 0xff00001d && v <= 0xff000020) return salt_d29;
	if (v >= 0xff000017 && v <= 0xff00001c) return salt_d23;
	return NULL;
}

int dv_quic_is_initial(const uint8_t *p, size_t n)
{
	if (n < 7 || (p[0] & 0xc0) != 0xc0) return 0;
	uint32_t v = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (!quic_salt(v)) return 0;
	unsigned type = (p[0] >> 4) & 3;
	return v == 0x6b3343cf ? type == 1 : type == 0;
}

static int hkdf_expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t outlen)
{
	uint8_t info[64], t[32], buf[32 + 64 + 1];
	size_t ll = strlen(label), il = 0, done = 0, tl = 0;
	if (6 + ll > 60 || outlen > 64) return DV_EINVAL;
	info[il++] = (uint8_t)(outlen >> 8);
	info[il++] = (uint8_t)outlen;
	info[il++] = (uint8_t)(6 + ll);
	memcpy(info + il, "tls13 ", 6);
	il += 6;
	memcpy(info + il, label, ll);
	il += ll;
	info[il++] = 0;
	for (uint8_t i = 1; done < outlen; i++) {
		size_t bl = 0;
		unsigned int ml = 32;
		memcpy(buf, t, tl);
		bl = tl;
		memcpy(buf + bl, info, il);
		bl += il;
		buf[bl++] = i;
		if (!HMAC(EVP_sha256(), secret, 32, buf, bl, t, &ml)) return DV_ERROR;
		tl = 32;
		size_t take = outlen - done < 32 ? outlen - done : 32;
		memcpy(out + done, t, take);
		done += take;
	}
	return 0;
}

static int derive_keys(dv_quic_state *st, uint32_t v, const uint8_t *dcid, size_t dlen)
{
	uint8_t initial[32], client[32];
	unsigned int ml = 32;
	int v2 = v == 0x6b3343cf;
	if (!HMAC(EVP_sha256(), quic_salt(v), 20, dcid, dlen, initial, &ml)) return DV_ERROR;
	if (hkdf_expand_label(initial, "client in", client, 32) < 0 ||
	    hkdf_expand_label(client, v2 ? "quicv2 key" : "quic key", st->key, 16) < 0 ||
	    hkdf_expand_label(client, v2 ? "quicv2 iv" : "quic iv", st->iv, 12) < 0 ||
	    hkdf_expand_label(client, v2 ? "quicv2 hp" : "quic hp", st->hp, 16) < 0)
		return DV_ERROR;
	st->have_keys = 1;
	return 0;
}

static int rd_varint(dv_rd *r, uint64_t *v)
{
	uint8_t b;
	if (dv_rd_u8(r, &b) < 0) return DV_ETRUNC;
	size_t len = (size_t)1 << (b >> 6);
	*v = b & 0x3f;
	for (size_t i = 1; i < len; i++) {
		if (dv_rd_u8(r, &b) < 0) return DV_ETRUNC;
		*v = *v << 8 | b;
	}
	return 0;
}

static void crypto_add(dv_quic_state *st, uint64_t off, const uint8_t *d, uint64_t len)
{
	if (off >= DV_QUIC_CRYPTO_MAX) return;
	if (len > DV_QUIC_CRYPTO_MAX - off) len = DV_QUIC_CRYPTO_MAX - off;
	memcpy(st->data + off, d, (size_t)len);
	for (uint64_t i = off; i < off + len; i++) st->have[i / 8] |= (uint8_t)(1u << (i % 8));
	while (st->contiguous < DV_QUIC_CRYPTO_MAX && (st->have[st->contiguous / 8] >> (st->contiguous % 8) & 1))
		st->contiguous++;
}

static void parse_frames(dv_quic_state *st, const uint8_t *p, size_t n)
{
	dv_rd r = dv_rd_init(p, n, "quic", 0);
	while (dv_rd_left(&r) > 0) {
		uint64_t t, a, b, c, cnt;
		if (rd_varint(&r, &t) < 0) return;
		switch (t) {
		case 0x00: case 0x01: continue; /* PADDING, PING */
		case 0x02: case 0x03:           /* ACK */
			if (rd_varint(&r, &a) < 0 || rd_varint(&r, &b) < 0 || rd_varint(&r, &cnt) < 0 || rd_varint(&r, &c) < 0) return;
			if (cnt > 1000) return;
			for (uint64_t i = 0; i < cnt; i++)
				if (rd_varint(&r, &a) < 0 || rd_varint(&r, &b) < 0) return;
			if (t == 0x03 && (rd_varint(&r, &a) < 0 || rd_varint(&r, &b) < 0 || rd_varint(&r, &c) < 0)) return;
			continue;
		case 0x06: {                    /* CRYPTO */
			const uint8_t *d;
			if (rd_varint(&r, &a) < 0 || rd_varint(&r, &b) < 0) return;
			if (b > dv_rd_left(&r) || dv_rd_view(&r, (size_t)b, &d) < 0) return;
			crypto_add(st, a, d, b);
			continue;
		}
		default:
			return; /* CONNECTION_CLOSE or unknown: stop */
		}
	}
}

static int decrypt_packet(dv_quic_state *st, uint8_t *pkt, size_t pn_off, size_t end)
{
	/* pkt[0..end) is one long-header packet (a private copy we may modify) */
	uint8_t mask[16], nonce[12];
	int ol = 0, ok = 0;
	if (pn_off + 4 + 16 > end) return DV_ETRUNC;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c) return DV_ENOMEM;
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, st->hp, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_EncryptUpdate(c, mask, &ol, pkt + pn_off + 4, 16) != 1 || ol != 16)
		goto out;
	pkt[0] ^= mask[0] & 0x0f;
	size_t pnl = (size_t)(pkt[0] & 3) + 1;
	uint64_t pn = 0;
	for (size_t i = 0; i < pnl; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | pkt[pn_off + i];
	}
	memcpy(nonce, st->iv, 12);
	for (size_t i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	size_t hdr = pn_off + pnl;
	if (end < hdr + 16) goto out;
	size_t clen = end - hdr - 16;
	uint8_t *plain = pkt + hdr; /* decrypt in place */
	if (EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, st->key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &ol, pkt, (int)hdr) != 1 ||
	    EVP_DecryptUpdate(c, plain, &ol, pkt + hdr, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, pkt + hdr + clen) != 1 ||
	    EVP_DecryptFinal_ex(c, plain + ol, &ol) != 1)
		goto out;
	parse_frames(st, plain, clen);
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 1 : 0;
}

int dv_quic_add_datagram(dv_quic_state *st, const uint8_t *p, size_t n)
{
	int done = 0;
	size_t pos = 0;
	static const size_t max_pkt = 65536;
	while (pos < n && dv_quic_is_initial(p + pos, n - pos)) {
		dv_rd r = dv_rd_init(p + pos, n - pos, "quic", (int64_t)pos);
		uint8_t first, dl, sl;
		uint32_t v;
		const uint8_t *dcid;
		uint64_t toklen, len;
		if (dv_rd_u8(&r, &first) < 0 || dv_rd_u32be(&r, &v) < 0 || dv_rd_u8(&r, &dl) < 0 || dl > 20 ||
		    dv_rd_view(&r, dl, &dcid) < 0 || dv_rd_u8(&r, &sl) < 0 || sl > 20 || dv_rd_skip(&r, sl) < 0 ||
		    rd_varint(&r, &toklen) < 0 || toklen > dv_rd_left(&r) || dv_rd_skip(&r, (size_t)toklen) < 0 ||
		    rd_varint(&r, &len) < 0)
			return done ? done : dv_error_set(DV_EINVAL, "quic", (int64_t)pos, "malformed Initial header");
		size_t pn_off = r.pos;
		if (len > dv_rd_left(&r) || len > max_pkt)
			return done ? done : dv_error_set(DV_ETRUNC, "quic", (int64_t)pos, "Initial length %llu past the datagram", (unsigned long long)len);
		size_t end = pn_off + (size_t)len;
		if (!st->have_keys) {
			st->version = v;
			memcpy(st->odcid, dcid, dl);
			st->odcid_len = dl;
			if (derive_keys(st, v, dcid, dl) < 0) return DV_ERROR;
		}
		uint8_t *copy = malloc(end);
		if (!copy) return dv_error_set(DV_ENOMEM, "quic", -1, "out of memory");
		memcpy(copy, p + pos, end);
		int rc = decrypt_packet(st, copy, pn_off, end);
		if (rc == 0 && (dl != st->odcid_len || memcmp(dcid, st->odcid, dl))) {
			/* after a Retry the keys come from the new DCID */
			dv_quic_state alt = *st;
			memcpy(copy, p + pos, end);
			if (derive_keys(&alt, v, dcid, dl) == 0 && decrypt_packet(&alt, copy, pn_off, end) == 1) {
				*st = alt;
				rc = 1;
			}
		}
		free(copy);
		if (rc == 1) done++;
		pos += end;
	}
	return done;
}

int dv_quic_hello(const dv_quic_state *st, dv_hello *out)
{
	if (st->contiguous < 4) return DV_ETRUNC;
	if (st->data[0] != 1) return dv_error_set(DV_EINVAL, "quic", 0, "first CRYPTO message is not a ClientHello");
	size_t want = 4 + ((size_t)st->data[1] << 16 | (size_t)st->data[2] << 8 | st->data[3]);
	if (want > DV_QUIC_CRYPTO_MAX) return dv_error_set(DV_EINVAL, "quic", 0, "ClientHello too large");
	if (st->contiguous < want) return DV_ETRUNC;
	return dv_tls_parse_client_hello(st->data, want, out);
}

/* ---- Google QUIC ------------------------------------------------------- */

int dv_gquic_parse_chlo(const uint8_t *p, size_t n, dv_hello *out)
{
	out->sni[0] = 0;
	if (n < 14) return DV_ENOTFOUND;
	/* version: Q046+ long header at 1, older public header after the CID */
	int vok = 0;
	if ((p[0] & 0x80) && p[1] == 'Q' && p[2] == '0') vok = 1;
	else if ((p[0] & 0x09) == 0x09 && p[9] == 'Q' && p[10] == '0') vok = 1;
	if (!vok) return DV_ENOTFOUND;
	memset(out, 0, sizeof(*out)); /* only for a gQUIC packet: it is called on every UDP datagram */
	const uint8_t *c = NULL;
	for (size_t i = 0; i + 8 <= n; i++)
		if (p[i] == 'C' && p[i + 1] == 'H' && p[i + 2] == 'L' && p[i + 3] == 'O') { c = p + i; break; }
	if (!c) return DV_ENOTFOUND;
	dv_rd r = dv_rd_init(c, n - (size_t)(c - p), "gquic", c - p);
	uint16_t ntags;
	dv_rd_skip(&r, 4);
	if (dv_rd_u16le(&r, &ntags) < 0 || dv_rd_skip(&r, 2) < 0) return DV_ETRUNC;
	if (ntags > 128) return dv_error_set(DV_EINVAL, "gquic", dv_rd_offset(&r), "CHLO with %u tags", ntags);
	if (dv_rd_need(&r, (size_t)ntags * 8, "CHLO tag table") < 0) return DV_ETRUNC;
	const uint8_t *tab = dv_rd_ptr(&r);
	size_t vbase = r.pos + (size_t)ntags * 8, prev = 0;
	for (unsigned i = 0; i < ntags; i++) {
		const uint8_t *t = tab + 8 * i;
		size_t end = (size_t)t[4] | (size_t)t[5] << 8 | (size_t)t[6] << 16 | (size_t)t[7] << 24;
		if (end < prev) return dv_error_set(DV_EINVAL, "gquic", dv_rd_offset(&r), "CHLO offsets go backwards");
		if (!memcmp(t, "SNI", 4)) {
			if (end > r.len - vbase) return DV_ETRUNC;
			copy_name(out->sni, sizeof(out->sni), r.p + vbase + prev, end - prev);
			out->has_sni = 1;
		} else if (!memcmp(t, "AEAD", 4) || !memcmp(t, "VER", 4)) {
			/* nothing we need */
		}
		prev = end;
	}
	return out->has_sni ? 0 : DV_ENOTFOUND;
}
