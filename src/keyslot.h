/*-------------------------------------------------------------------------
 *
 * keyslot.h
 *	  Redis Cluster key slots: CRC16-XMODEM with hash tags.  See keyslot.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_KEYSLOT_H
#define STREAMKV_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

/* Redis Cluster: 16384 hash slots */
#define SK_CLUSTER_SLOTS	16384

extern uint16_t sk_crc16_xmodem(const void *data, size_t len);
extern int	sk_key_slot(const void *key, size_t len);

#endif							/* STREAMKV_KEYSLOT_H */
