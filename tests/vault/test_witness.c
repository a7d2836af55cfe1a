/* The rollback witness file's decoder (dv_witness_decode): what vault.c
 * writes is read back; everything else is refused, never half read. */
#include "check.h"
#include "vault/station_int.h"

static int dec(const char *text, uint64_t *w, uint8_t h[32], char m[65])
{
	return dv_witness_decode(w, h, m, (const uint8_t *)text, strlen(text));
}

int main(void)
{
	const char *h64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char ok[400], t[400];
	uint64_t w = 0;
	uint8_t h[32];
	char m[65];
	snprintf(ok, sizeof(ok), "{\"format\":\"dronevault-witness\",\"writes\":42,\"vault_head\":\"%s\",\"mac\":\"%s\"}\n", h64, h64);
	CHECK_EQ(dec(ok, &w, h, m), 0);
	CHECK_EQ(w, 42);
	CHECK_EQ(h[0], 0x00);
	CHECK_EQ(h[31], 0xff);
	CHECK_STR(m, h64);
	snprintf(t, sizeof(t), "{\"writes\":1,\"vault_head\":\"%s\"}", h64);
	CHECK_EQ(dec(t, &w, h, m), 0);
	CHECK_STR(m, "");
	/* refused */
	snprintf(t, sizeof(t), "{\"writes\":1,\"vault_head\":\"%s\"} x", h64);
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);   /* trailing bytes */
	snprintf(t, sizeof(t), "{\"writes\":-1,\"vault_head\":\"%s\"}", h64);
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);
	snprintf(t, sizeof(t), "{\"writes\":\"1\",\"vault_head\":\"%s\"}", h64);
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);
	snprintf(t, sizeof(t), "{\"writes\":1,\"vault_head\":\"%.63s\"}", h64);
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);
	snprintf(t, sizeof(t), "{\"writes\":1,\"vault_head\":\"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\"}");
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);   /* only the form vault.c writes */
	snprintf(t, sizeof(t), "{\"writes\":1,\"vault_head\":\"%s\",\"mac\":\"abc\"}", h64);
	CHECK_EQ(dec(t, &w, h, m), DV_ECORRUPT);
	CHECK_EQ(dec("[[[[[[[[1]]]]]]]]", &w, h, m), DV_ECORRUPT);
	CHECK_EQ(dec("", &w, h, m), DV_ECORRUPT);
	CHECK_EQ(dv_witness_decode(&w, h, m, (const uint8_t *)"{\"writes\":1}", 5000), DV_ECORRUPT);   /* over the cap */
	return check_done();
}
