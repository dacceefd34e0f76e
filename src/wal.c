/*-------------------------------------------------------------------------
 *
 * wal.c
 *	  streamkv's custom WAL resource manager.
 *
 * Redo re-applies each record to the pages it names (when they need it)
 * and, when the database's in-memory copy is loaded, to that copy too, so
 * that readers on a hot standby see replayed data and blocked readers are
 * woken.  Redo is deterministic: expiry, compaction and flushes were decided
 * on the primary and are logged as explicit records; redo never looks at the
 * clock.  Redo never raises ERROR: a malformed record is a PANIC (as in
 * PostgreSQL's own resource managers), and a failure to update the
 * in-memory copy marks it for reloading from the pages instead.
 *
 * Buffers are released before the in-memory copy is updated, because a
 * backend loading that copy holds the shard locks while it reads pages (lock
 * order: shard locks, then buffers).  Sequence numbers in the operations
 * make the update idempotent against a concurrent load.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "storage/bufmgr.h"

#include "kinds.h"
#include "pubsub.h"
#include "store.h"

static void sk_redo(XLogReaderState *record);
static void sk_desc(StringInfo buf, XLogReaderState *record);
static const char *sk_identify(uint8 info);
static void sk_mask(char *pagedata, BlockNumber blkno);

static RmgrData sk_rmgr = {
	.rm_name = STREAMKV_RMGR_NAME,
	.rm_redo = sk_redo,
	.rm_desc = sk_desc,
	.rm_identify = sk_identify,
	.rm_startup = NULL,
	.rm_cleanup = NULL,
	.rm_mask = sk_mask,
	.rm_decode = NULL
};

void
sk_rmgr_register(void)
{
	RegisterCustomRmgr(STREAMKV_RMGR_ID, &sk_rmgr);
}

static void
sk_apply_item(Page page, const char *data, Size len)
{
	if (PageAddItem(page, (Item) data, len, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
		elog(PANIC, "streamkv redo: failed to add item of %zu bytes", len);
}

/* An item of an APPEND record, as it goes on the page. */
typedef struct SkWalItem
{
	uint8		block_id;
	const char *item;			/* SkFragHeader, then the payload */
	Size		len;
} SkWalItem;

/*
 * Decodes the packed items of an APPEND record's main data (store.h).
 * Returns a palloc'd array of nitems items (rebuilt in one palloc'd buffer,
 * returned in *scratch) and sets *rest to the
 * bytes after the items.  A malformed record is a PANIC in redo; with soft
 * (descriptions) it returns NULL.
 */
static SkWalItem *
sk_decode_items(const char *data, Size datalen, const xl_sk_append *xlrec,
				char **scratch, const char **rest, bool soft)
{
	const char *p = data + sizeof(xl_sk_append);
	const char *end = data + datalen;
	SkWalItem  *items;
	uint32		n;

	*scratch = NULL;
	/* every item takes at least a byte; packed is the only form */
	if (datalen < sizeof(xl_sk_append) ||
		!(xlrec->flags & SK_APPEND_PACKED) ||
		(Size) xlrec->nitems > datalen - sizeof(xl_sk_append))
	{
		if (!soft)
			elog(PANIC, "streamkv redo: malformed APPEND record");
		return NULL;
	}
	items = palloc(sizeof(SkWalItem) * Max(xlrec->nitems, 1));
	{
		/* each item grows by at most its fragment header and SK_PK_HDR */
		char	   *out = palloc(datalen + (Size) xlrec->nitems * (sizeof(SkFragHeader) + SK_PK_HDR));
		const char *prevhdr = NULL;
		uint8		block_id = 0;

		*scratch = out;
		for (n = 0; n < xlrec->nitems; n++)
		{
			uint8		code;
			Size		len,
						skip = 0;
			SkFragHeader fh;
			char	   *item = out;

			if (p >= end)
				goto bad;
			code = (uint8) *p++;
			if (code & SK_PK_BLOCK)
			{
				if (p >= end)
					goto bad;
				block_id = (uint8) *p++;
			}
			else if (n == 0)
				goto bad;
			if (code & SK_PK_LEN1)
			{
				if (p >= end)
					goto bad;
				len = (uint8) *p++;
			}
			else
			{
				uint16		l;

				if (p + sizeof(l) > end)
					goto bad;
				memcpy(&l, p, sizeof(l));
				p += sizeof(l);
				len = l;
			}
			memset(&fh, 0, sizeof(fh));
			fh.flags = code & (SK_FRAG_FIRST | SK_FRAG_LAST);
			memcpy(out, &fh, sizeof(fh));
			out += sizeof(fh);
			if (code & SK_PK_DELTA)
			{
				uint8		mask;
				int			w;

				if (prevhdr == NULL || len < SK_PK_HDR || p >= end)
					goto bad;
				mask = (uint8) *p++;
				for (w = 0; w < SK_PK_HDR / 8; w++)
				{
					uint64		prev,
								z = 0,
								d;
					int			shift = 0;

					memcpy(&prev, prevhdr + w * 8, 8);
					if (mask & (1 << w))
					{
						for (;;)
						{
							uint8		b;

							if (p >= end || shift > 63)
								goto bad;
							b = (uint8) *p++;
							z |= (uint64) (b & 0x7F) << shift;
							shift += 7;
							if (!(b & 0x80))
								break;
						}
					}
					d = (z >> 1) ^ (uint64) (-(int64) (z & 1));
					prev += d;
					memcpy(out + w * 8, &prev, 8);
				}
				skip = SK_PK_HDR;
			}
			if (p + (len - skip) > end)
				goto bad;
			memcpy(out + skip, p, len - skip);
			p += len - skip;
			if ((code & SK_FRAG_FIRST) && len >= SK_PK_HDR)
				prevhdr = out;
			out += len;
			items[n].block_id = block_id;
			items[n].item = item;
			items[n].len = sizeof(fh) + len;
		}
	}
	*rest = p;
	return items;

bad:
	if (!soft)
		elog(PANIC, "streamkv redo: malformed APPEND record");
	pfree(items);
	if (*scratch)
		pfree(*scratch);
	*scratch = NULL;
	return NULL;
}

/*
 * The row of a record's kind.  A kind no row has is a PANIC, as PostgreSQL's
 * own resource managers treat an unknown record.
 */
static const SkStoreKind *
redo_kind(uint32 kind)
{
	const SkStoreKind *k = sk_store_kind(kind);

	if (k == NULL)
		elog(PANIC, "streamkv redo: record of unknown store kind %u", kind);
	return k;
}

static void
sk_redo_append(XLogReaderState *record)
{
	char	   *data = XLogRecGetData(record);
	Size		datalen = XLogRecGetDataLen(record);
	xl_sk_append xlrec;
	Buffer		buf;
	SkWalItem  *items;
	char	   *scratch;
	const char *rest;
	uint32		k;
	int			i;
	BlockNumber firstnew = InvalidBlockNumber;
	BlockNumber lastnew = InvalidBlockNumber;
	RelFileNode rnode;
	StringInfoData acc;
	bool		in_op;
	BlockNumber start_blk = InvalidBlockNumber;
	const SkStoreKind *kind;

	if (datalen < sizeof(xlrec))
		elog(PANIC, "streamkv redo: short APPEND record");
	memcpy(&xlrec, data, sizeof(xlrec));
	kind = redo_kind(xlrec.kind);
	items = sk_decode_items(data, datalen, &xlrec, &scratch, &rest, false);

	if (xlrec.nnew > 0)
	{
		XLogRecGetBlockTag(record, 2, &rnode, NULL, &firstnew);
		XLogRecGetBlockTag(record, 1 + xlrec.nnew, NULL, NULL, &lastnew);
	}
	else
		XLogRecGetBlockTag(record, 1, &rnode, NULL, NULL);

	/* New pages: always initialised from the record. */
	for (i = 0; i < xlrec.nnew; i++)
	{
		Page		page;

		buf = XLogInitBufferForRedo(record, 2 + i);
		page = BufferGetPage(buf);
		sk_init_page(page, SK_PAGE_CHAIN, xlrec.chain);
		if (i + 1 < xlrec.nnew)
		{
			BlockNumber nb;

			XLogRecGetBlockTag(record, 3 + i, NULL, NULL, &nb);
			SkPageGetOpaque(page)->next = nb;
		}
		for (k = 0; k < xlrec.nitems; k++)
			if (items[k].block_id == 2 + i)
				sk_apply_item(page, items[k].item, items[k].len);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	/* The old tail: items, and the link to the first new page. */
	if (xlrec.flags & SK_APPEND_TAIL)
	{
		if (XLogReadBufferForRedo(record, 1, &buf) == BLK_NEEDS_REDO)
		{
			Page		page = BufferGetPage(buf);

			for (k = 0; k < xlrec.nitems; k++)
				if (items[k].block_id == 1)
					sk_apply_item(page, items[k].item, items[k].len);
			if (xlrec.nnew > 0)
				SkPageGetOpaque(page)->next = firstnew;
			PageSetLSN(page, record->EndRecPtr);
			MarkBufferDirty(buf);
		}
		if (BufferIsValid(buf))
			UnlockReleaseBuffer(buf);
	}

	/* The metapage: free list, the chain's tail, alloc_next. */
	if (xlrec.flags & SK_APPEND_META)
	{
		if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
		{
			Page		page = BufferGetPage(buf);
			SkMetaPageData *meta = SkPageGetMeta(page);

			meta->free_head = xlrec.new_free_head;
			meta->nfree -= xlrec.nfree_taken;
			for (i = 0; i < xlrec.nnew; i++)
			{
				BlockNumber nb;

				XLogRecGetBlockTag(record, 2 + i, NULL, NULL, &nb);
				sk_meta_note_new_block(page, nb);
			}
			if (!(xlrec.flags & SK_APPEND_DETACHED))
			{
				SkChainMeta *cm = &meta->chains[xlrec.chain];

				if (!BlockNumberIsValid(cm->head))
					cm->head = firstnew;
				cm->tail = lastnew;
				cm->npages += xlrec.nnew;
			}
			PageSetLSN(page, record->EndRecPtr);
			MarkBufferDirty(buf);
		}
		if (BufferIsValid(buf))
			UnlockReleaseBuffer(buf);
	}

	/* The in-memory copy: operations completed by this record. */
	if (!(xlrec.flags & SK_APPEND_DETACHED))
	{
		in_op = false;
		initStringInfo(&acc);
		for (k = 0; k < xlrec.nitems; k++)
		{
			SkFragHeader fh;
			const char *item = items[k].item;
			Size		len = items[k].len;

			memcpy(&fh, item, sizeof(fh));
			if (fh.flags & SK_FRAG_FIRST)
			{
				resetStringInfo(&acc);
				in_op = true;
				XLogRecGetBlockTag(record, items[k].block_id, NULL, NULL, &start_blk);
			}
			if (!in_op)
				continue;
			appendBinaryStringInfo(&acc, item + sizeof(fh), len - sizeof(fh));
			if (fh.flags & SK_FRAG_LAST)
			{
				kind->redo_seq(rnode, xlrec.chain, acc.data, acc.len, start_blk);
				in_op = false;
			}
		}
		if (xlrec.opdata_len > 0)
		{
			/* the op that started in an earlier record: its start is the old tail's chain */
			if (rest + xlrec.opdata_len > data + datalen)
				elog(PANIC, "streamkv redo: truncated operation data");
			resetStringInfo(&acc);
			appendBinaryStringInfo(&acc, rest, xlrec.opdata_len);
			kind->redo_seq(rnode, xlrec.chain, acc.data, acc.len, InvalidBlockNumber);
		}
		pfree(acc.data);
	}
	pfree(items);
	if (scratch)
		pfree(scratch);
}

/* Redo of a splice: block block_id (a chain's tail) now links to next. */
static void
redo_set_next(XLogReaderState *record, uint8 block_id, BlockNumber next)
{
	Buffer		buf;

	if (XLogReadBufferForRedo(record, block_id, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);

		SkPageGetOpaque(page)->next = next;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
sk_redo_switch_rec(XLogReaderState *record)
{
	xl_sk_switch xlrec;
	Buffer		buf;
	RelFileNode rnode;

	memcpy(&xlrec, XLogRecGetData(record), sizeof(xlrec));
	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);

	/* Lock order as on the primary: the old tail, then the metapage. */
	if (XLogRecHasBlockRef(record, 1))
		redo_set_next(record, 1, xlrec.old_free_head);
	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		SkMetaPageData *meta = SkPageGetMeta(page);
		SkChainMeta *cm = &meta->chains[xlrec.chain];

		if (XLogRecHasBlockRef(record, 1))
		{
			meta->free_head = xlrec.old_head;
			meta->nfree += xlrec.old_npages;
		}
		cm->head = xlrec.new_head;
		cm->tail = xlrec.new_tail;
		cm->npages = xlrec.new_npages;
		cm->seq_base = xlrec.seq_base;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);

	if (redo_kind(xlrec.kind)->redo_switch)
		redo_kind(xlrec.kind)->redo_switch(rnode, xlrec.chain, xlrec.live_ops);
}

static void
sk_redo_flush_rec(XLogReaderState *record)
{
	xl_sk_flush xlrec;
	RelFileNode rnode;
	Buffer		buf;
	int			i;

	memcpy(&xlrec, XLogRecGetData(record), sizeof(xlrec));
	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);

	/* The old tails: block 1 + chain, in chain order (as on the primary). */
	for (i = 0; i < SK_NSHARDS; i++)
	{
		if (XLogRecHasBlockRef(record, 1 + i))
			redo_set_next(record, 1 + i, xlrec.tail_next[i]);
	}
	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		SkMetaPageData *meta = SkPageGetMeta(page);

		for (i = 0; i < SK_NSHARDS; i++)
		{
			meta->chains[i].head = meta->chains[i].tail = InvalidBlockNumber;
			meta->chains[i].npages = 0;
			meta->chains[i].seq_base = xlrec.seq_base[i];
		}
		meta->free_head = xlrec.new_free_head;
		meta->nfree += xlrec.nfree_added;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);

	if (redo_kind(xlrec.kind)->redo_flush)
		redo_kind(xlrec.kind)->redo_flush(rnode);
}

static void
sk_redo_truncate_rec(XLogReaderState *record)
{
	xl_sk_truncate xlrec;
	RelFileNode rnode;
	Buffer		buf;

	memcpy(&xlrec, XLogRecGetData(record), sizeof(xlrec));
	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
	redo_set_next(record, 1, xlrec.old_free_head);
	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		SkMetaPageData *meta = SkPageGetMeta(page);
		SkChainMeta *cm = &meta->chains[xlrec.chain];

		meta->free_head = xlrec.old_head;
		meta->nfree += xlrec.nfreed;
		cm->head = xlrec.new_head;
		cm->npages -= xlrec.nfreed;
		cm->seq_base = (uint64) xlrec.new_log_start;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);

	if (redo_kind(xlrec.kind)->redo_truncate)
		redo_kind(xlrec.kind)->redo_truncate(rnode, xlrec.chain, xlrec.new_head, xlrec.new_log_start);
}

static void
sk_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info)
	{
		case XLOG_SK_APPEND:
			sk_redo_append(record);
			break;
		case XLOG_SK_SWITCH:
			sk_redo_switch_rec(record);
			break;
		case XLOG_SK_FLUSH:
			sk_redo_flush_rec(record);
			break;
		case XLOG_SK_TRUNCATE:
			sk_redo_truncate_rec(record);
			break;
		case XLOG_SK_PUBLISH:
			sk_ps_redo_publish(XLogRecGetData(record), XLogRecGetDataLen(record));
			break;
		default:
			elog(PANIC, "streamkv redo: unknown record kind %u", info);
	}
}

/* ------------------------------------------------------------------------
 * Description (pg_walinspect) and masking (wal_consistency_checking)
 * ------------------------------------------------------------------------
 */
static void
sk_desc(StringInfo buf, XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;
	char	   *data = XLogRecGetData(record);
	Size		datalen = XLogRecGetDataLen(record);
	const SkStoreKind *k;

	switch (info)
	{
		case XLOG_SK_APPEND:
			{
				xl_sk_append xlrec;
				SkWalItem  *items;
				char	   *scratch;
				const char *rest;

				if (datalen < sizeof(xlrec))
					break;
				memcpy(&xlrec, data, sizeof(xlrec));
				k = sk_store_kind(xlrec.kind);
				appendStringInfo(buf, "%s %s %u%s: %u items, %u new pages (%u from free list)",
								 k ? k->name : "unknown kind",
								 k ? k->chain_name : "chain",
								 xlrec.chain,
								 (xlrec.flags & SK_APPEND_DETACHED) ? " (compaction)" : "",
								 xlrec.nitems, xlrec.nnew, xlrec.nfree_taken);
				items = sk_decode_items(data, datalen, &xlrec, &scratch, &rest, true);
				if (items == NULL)
				{
					appendStringInfo(buf, " (malformed)");
					break;
				}
				if (xlrec.nitems > 0)
				{
					SkFragHeader fh;
					const char *item = items[0].item;
					Size		len = items[0].len;

					memcpy(&fh, item, sizeof(fh));
					if ((fh.flags & SK_FRAG_FIRST) && k && k->desc_seq)
						k->desc_seq(buf, item + sizeof(fh), len - sizeof(fh));
					if (xlrec.nitems > 1)
						appendStringInfo(buf, " ...");
				}
				pfree(items);
				if (scratch)
					pfree(scratch);
				if (xlrec.opdata_len > 0)
					appendStringInfo(buf, "; completes an operation of %u bytes", xlrec.opdata_len);
				break;
			}
		case XLOG_SK_SWITCH:
			{
				xl_sk_switch xlrec;

				memcpy(&xlrec, data, sizeof(xlrec));
				k = sk_store_kind(xlrec.kind);
				appendStringInfo(buf, "%s chain %u: compacted to %u pages (head %u, tail %u), %u old pages freed, " UINT64_FORMAT " live operations, seq base " UINT64_FORMAT,
								 k ? k->name : "unknown kind", xlrec.chain, xlrec.new_npages, xlrec.new_head, xlrec.new_tail,
								 xlrec.old_npages, xlrec.live_ops, xlrec.seq_base);
				break;
			}
		case XLOG_SK_FLUSH:
			{
				xl_sk_flush xlrec;

				memcpy(&xlrec, data, sizeof(xlrec));
				appendStringInfo(buf, "%u chains emptied", xlrec.nchains);
				break;
			}
		case XLOG_SK_TRUNCATE:
			{
				xl_sk_truncate xlrec;

				memcpy(&xlrec, data, sizeof(xlrec));
				appendStringInfo(buf, "chain %u: %u pages freed from the head, new head %u, log start " INT64_FORMAT,
								 xlrec.chain, xlrec.nfreed, xlrec.new_head, xlrec.new_log_start);
				break;
			}
		case XLOG_SK_PUBLISH:
			sk_ps_desc_publish(buf, data, datalen);
			break;
	}
}

static const char *
sk_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_SK_APPEND:
			return "APPEND";
		case XLOG_SK_SWITCH:
			return "SWITCH";
		case XLOG_SK_FLUSH:
			return "FLUSH";
		case XLOG_SK_TRUNCATE:
			return "TRUNCATE";
		case XLOG_SK_PUBLISH:
			return "PUBLISH";
	}
	return NULL;
}

static void
sk_mask(char *pagedata, BlockNumber blkno)
{
	mask_page_lsn_and_checksum(pagedata);
	mask_unused_space(pagedata);
}
