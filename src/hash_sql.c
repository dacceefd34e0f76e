/*-------------------------------------------------------------------------
 *
 * hash_sql.c
 *	  SQL-callable wrappers of murmur.c and keyslot.c: murmur2,
 *	  kafka_partition and key_slot (IMMUTABLE STRICT PARALLEL SAFE).
 *
 *	  Locking: none; no shared state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "keyslot.h"
#include "murmur.h"

PG_FUNCTION_INFO_V1(sk_murmur2_sql);
PG_FUNCTION_INFO_V1(sk_kafka_partition_sql);
PG_FUNCTION_INFO_V1(sk_key_slot_sql);

/* murmur2(bytea) → int4, Kafka's Utils.murmur2 */
Datum
sk_murmur2_sql(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_INT32(sk_murmur2(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)));
}

/* kafka_partition(key bytea, partitions int4) → int4 */
Datum
sk_kafka_partition_sql(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	int32		partitions = PG_GETARG_INT32(1);

	if (partitions <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of partitions must be positive"),
				 errdetail("Partition count %d is not greater than 0.", partitions)));
	PG_RETURN_INT32(sk_kafka_partition(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key),
									   partitions));
}

/* key_slot(text) and key_slot(bytea) → int4, CLUSTER KEYSLOT */
Datum
sk_key_slot_sql(PG_FUNCTION_ARGS)
{
	struct varlena *key = PG_GETARG_VARLENA_PP(0);

	PG_RETURN_INT32(sk_key_slot(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)));
}
