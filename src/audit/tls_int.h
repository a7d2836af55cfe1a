/*
 * audit/tls_int.h - the client's first words in TLS and QUIC: the ClientHello's
 * server_name (SNI), ALPN and whether Encrypted Client Hello hides the real
 * name; for QUIC the Initial packets are decrypted first (RFC 9001 section 5:
 * HKDF-SHA256 from the version's salt and the client's Destination
 * Connection ID, AES-128-GCM, AES-ECB header protection), for QUIC v1, v2
 * (RFC 9369) and drafts 29-32. Google QUIC (Q0xx) carries its CHLO in the
 * clear; its SNI tag is read directly.
 */
#ifndef DV_AUDIT_TLS_INT_H
#define DV_AUDIT_TLS_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dv_hello {
	char sni[256];        /* server_name host_name, "" when absent */
	char alpn[32];        /* first ALPN protocol offered */
	uint16_t legacy_version;
	uint8_t has_sni;
	uint8_t has_ech;      /* encrypted_client_hello (0xfe0d): sni is the outer name */
	uint8_t has_esni;     /* the older encrypted_server_name (0xffce) */
} dv_hello;

/*
 * Parses a TLS handshake message that must be a ClientHello (type 1, with
 * its 4-byte header). Returns 0, DV_ETRUNC when more bytes are needed, or
 * DV_EINVAL when it is not a ClientHello.
 */
int dv_tls_parse_client_hello(const uint8_t *hs, size_t n, dv_hello *out);

/*
 * Like dv_tls_parse_client_hello, for TLS records (TCP payload starting
 * with a handshake record, 0x16 0x03 ...); handshake fragments in
 * consecutive records are joined. DV_ETRUNC means the hello continues in
 * later segments (call again with more bytes).
 */
int dv_tls_parse_records(const uint8_t *p, size_t n, dv_hello *out);

/* True when p looks like the start of a TLS handshake record. */
int dv_tls_looks_like_handshake(const uint8_t *p, size_t n);

#define DV_QUIC_CRYPTO_MAX 16384

/* CRYPTO stream reassembly for one QUIC connection (client Initial side). */
typedef struct dv_quic_state {
	uint32_t version;             /* of the first Initial */
	uint8_t odcid[20];            /* the client's original DCID */
	uint8_t odcid_len;
	uint8_t have_keys;
	uint8_t key[16], iv[12], hp[16];
	uint32_t contiguous;          /* bytes of CRYPTO data known from offset 0 */
	uint8_t data[DV_QUIC_CRYPTO_MAX];
	uint8_t have[DV_QUIC_CRYPTO_MAX / 8];
} dv_quic_state;

/* True when the datagram starts with a QUIC long header Initial of a version we decrypt. */
int dv_quic_is_initial(const uint8_t *p, size_t n);

/*
 * Decrypts the client Initial packets coalesced in one UDP datagram and adds
 * their CRYPTO frames to st (zero it before the first call). Returns the
 * number of packets decrypted (0 when none), or a negative dv_code when a
 * header is malformed.
 */
int dv_quic_add_datagram(dv_quic_state *st, const uint8_t *p, size_t n);

/* Parses the ClientHello from st; 0, DV_ETRUNC (more packets needed) or DV_EINVAL. */
int dv_quic_hello(const dv_quic_state *st, dv_hello *out);

/*
 * Google QUIC (Q0xx, cleartext handshake): finds the CHLO message in a UDP
 * payload and reads its SNI tag. 0 with out->sni set; DV_ENOTFOUND when the
 * datagram is not a gQUIC CHLO; DV_EINVAL/DV_ETRUNC when malformed.
 */
/* (out is only filled for a gQUIC packet.) */
int dv_gquic_parse_chlo(const uint8_t *p, size_t n, dv_hello *out);

#endif
