/*-------------------------------------------------------------------------
 *
 * keyslot.c
 *	  Redis Cluster key slots, as CLUSTER KEYSLOT computes them.
 *
 *	  slot = CRC16-XMODEM(key) mod 16384, where only the hash tag is hashed
 *	  when the key has one: the bytes between the first '{' and the first '}'
 *	  after it, provided there is at least one byte between them.
 *
 *	  Design: CRC16-XMODEM (polynomial 0x1021, initial value 0, no
 *	  reflection, no final XOR) computed with a 256-entry table that is built
 *	  from the polynomial on first use (it is a pure function of constants,
 *	  so two backends or two threads building it concurrently write the same
 *	  bytes).  The check value crc16("123456789") is 0x31C3.
 *
 *	  Locking: none.  This file depends on nothing of PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "keyslot.h"

/* CRC-16/XMODEM generator polynomial (CCITT, x^16 + x^12 + x^5 + 1) */
#define CRC16_XMODEM_POLY	0x1021

static uint16_t crc16_table[256];
static int	crc16_table_ready = 0;

static void
crc16_build_table(void)
{
	int			i;

	for (i = 0; i < 256; i++)
	{
		uint16_t	crc = (uint16_t) (i << 8);
		int			b;

		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ CRC16_XMODEM_POLY)
				: (uint16_t) (crc << 1);
		crc16_table[i] = crc;
	}
	crc16_table_ready = 1;
}

/*
 * sk_crc16_xmodem -- CRC-16/XMODEM of len bytes at data.
 */
uint16_t
sk_crc16_xmodem(const void *data, size_t len)
{
	const unsigned char *p = (const unsigned char *) data;
	uint16_t	crc = 0;
	size_t		i;

	if (!crc16_table_ready)
		crc16_build_table();
	for (i = 0; i < len; i++)
		crc = (uint16_t) ((crc << 8) ^ crc16_table[((crc >> 8) ^ p[i]) & 0xff]);
	return crc;
}

/*
 * sk_key_slot -- the Redis Cluster hash slot (0..16383) of a key of len
 * bytes, honouring hash tags.
 */
int
sk_key_slot(const void *key, size_t len)
{
	const unsigned char *p = (const unsigned char *) key;
	size_t		open;
	size_t		close;

	for (open = 0; open < len; open++)
		if (p[open] == '{')
			break;
	if (open < len)
	{
		for (close = open + 1; close < len; close++)
			if (p[close] == '}')
				break;
		/* a tag needs a closing brace and at least one byte inside */
		if (close < len && close != open + 1)
			return sk_crc16_xmodem(p + open + 1, close - open - 1) &
				(SK_CLUSTER_SLOTS - 1);
	}
	return sk_crc16_xmodem(p, len) & (SK_CLUSTER_SLOTS - 1);
}
