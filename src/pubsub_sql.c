/*-------------------------------------------------------------------------
 *
 * pubsub_sql.c
 *	  The SQL functions of pub/sub: thin wrappers over the C API of
 *	  pubsub.h (one C API function per command), converting arguments and
 *	  results only.
 *
 * Locking: none here; see pubsub.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "keyspace_int.h"
#include "pubsub.h"

/* names from a text[] argument (NULLs refused) */
static int
names_arg(ArrayType *arr, const char *what, char ***names, Size **lens)
{
	Datum	   *elems;
	int			n = text_array_arg(arr, &elems, what);
	int			i;

	*names = palloc(sizeof(char *) * Max(n, 1));
	*lens = palloc(sizeof(Size) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(elems[i]);

		(*names)[i] = VARDATA_ANY(t);
		(*lens)[i] = VARSIZE_ANY_EXHDR(t);
	}
	return n;
}

static Datum
return_replies(FunctionCallInfo fcinfo, SkPsReply *r, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(r[i].kind);
		if (r[i].name)
			values[1] = PointerGetDatum(cstring_to_text_with_len(r[i].name, r[i].len));
		else
			nulls[1] = true;
		values[2] = Int64GetDatum(r[i].count);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static Datum
subscribe_common(FunctionCallInfo fcinfo, bool pattern, bool sub)
{
	char	  **names = NULL;
	Size	   *lens = NULL;
	int			n = 0;
	int			nr;
	SkPsReply  *r;

	if (PG_NARGS() > 0)
	{
		if (PG_ARGISNULL(0))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", pattern ? "patterns" : "channels")));
		n = names_arg(PG_GETARG_ARRAYTYPE_P(0), pattern ? "patterns" : "channels", &names, &lens);
	}
	if (sub && n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least one %s", pattern ? "psubscribe" : "subscribe",
						pattern ? "pattern" : "channel")));
	if (sub)
		r = sk_ps_subscribe(pattern, n, names, lens, &nr);
	else
		r = sk_ps_unsubscribe(pattern, n, names, lens, &nr);
	return return_replies(fcinfo, r, nr);
}

PG_FUNCTION_INFO_V1(sk_subscribe);
Datum
sk_subscribe(PG_FUNCTION_ARGS)
{
	return subscribe_common(fcinfo, false, true);
}

PG_FUNCTION_INFO_V1(sk_psubscribe);
Datum
sk_psubscribe(PG_FUNCTION_ARGS)
{
	return subscribe_common(fcinfo, true, true);
}

PG_FUNCTION_INFO_V1(sk_unsubscribe);
Datum
sk_unsubscribe(PG_FUNCTION_ARGS)
{
	return subscribe_common(fcinfo, false, false);
}

PG_FUNCTION_INFO_V1(sk_punsubscribe);
Datum
sk_punsubscribe(PG_FUNCTION_ARGS)
{
	return subscribe_common(fcinfo, true, false);
}

/* publish(channel text, message text|bytea): both are varlena bytes */
PG_FUNCTION_INFO_V1(sk_publish);
Datum
sk_publish(PG_FUNCTION_ARGS)
{
	text	   *ch;
	bytea	   *msg;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("channel and message must not be NULL")));
	ch = PG_GETARG_TEXT_PP(0);
	msg = PG_GETARG_BYTEA_PP(1);

	PG_RETURN_INT64(sk_ps_publish(VARDATA_ANY(ch), VARSIZE_ANY_EXHDR(ch),
								  VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg)));
}

static Datum
receive_common(FunctionCallInfo fcinfo, bool as_text)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n;
	int			i;
	SkPsMessage *m;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_messages and wait_ms must not be NULL")));
	InitMaterializedSRF(fcinfo, 0);
	m = sk_ps_receive(PG_GETARG_INT32(0), PG_GETARG_INT32(1), &n);
	for (i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(m[i].pmessage ? "pmessage" : "message");
		if (m[i].pattern)
			values[1] = PointerGetDatum(cstring_to_text_with_len(m[i].pattern, m[i].plen));
		else
			nulls[1] = true;
		values[2] = PointerGetDatum(cstring_to_text_with_len(m[i].channel, m[i].clen));
		if (as_text)
		{
			/* the message was taken already: a bad one is reported, the rest kept */
			(void) pg_verifymbstr(m[i].data, (int) m[i].len, false);
			values[3] = PointerGetDatum(cstring_to_text_with_len(m[i].data, m[i].len));
		}
		else
		{
			bytea	   *b = palloc(VARHDRSZ + m[i].len);

			SET_VARSIZE(b, VARHDRSZ + m[i].len);
			memcpy(VARDATA(b), m[i].data, m[i].len);
			values[3] = PointerGetDatum(b);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_receive);
Datum
sk_receive(PG_FUNCTION_ARGS)
{
	return receive_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(sk_receive_text);
Datum
sk_receive_text(PG_FUNCTION_ARGS)
{
	return receive_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(sk_pubsub_channels);
Datum
sk_pubsub_channels(PG_FUNCTION_ARGS)
{
	List	   *l;

	if (PG_ARGISNULL(0))
		l = sk_ps_channels(NULL, 0);
	else
	{
		text	   *p = PG_GETARG_TEXT_PP(0);

		l = sk_ps_channels(VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
	}
	return return_text_list(fcinfo, l);
}

PG_FUNCTION_INFO_V1(sk_pubsub_numsub);
Datum
sk_pubsub_numsub(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	  **names;
	Size	   *lens;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("channels must not be NULL")));
	n = names_arg(PG_GETARG_ARRAYTYPE_P(0), "channels", &names, &lens);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(names[i], lens[i]));
		values[1] = Int64GetDatum(sk_ps_numsub(names[i], lens[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_pubsub_numpat);
Datum
sk_pubsub_numpat(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(sk_ps_numpat());
}

static Datum
text_list_array(List *l)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(list_length(l), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, l)
		d[i++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(d, i, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(sk_pubsub_subscribers);
Datum
sk_pubsub_subscribers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *subs;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	subs = sk_ps_subscribers();
	foreach(lc, subs)
	{
		SkPsSubscriberInfo *s = (SkPsSubscriberInfo *) lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		values[0] = Int32GetDatum(s->pid);
		values[1] = text_list_array(s->channels);
		values[2] = text_list_array(s->patterns);
		values[3] = Int64GetDatum(s->buffered_messages);
		values[4] = Int64GetDatum(s->buffered_bytes);
		values[5] = Int64GetDatum(s->buffer_limit);
		values[6] = Int64GetDatum(s->delivered);
		values[7] = BoolGetDatum(s->cut_off);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
