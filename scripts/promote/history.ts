import type { EvidenceStore } from "../release/evidence-store";
import type { PromotionRecord } from "../release/promotion-record";
import { HistoryEntry, historyOf, historyTagTime } from "./promotion";
import type { TaggedImage } from "./registry";

/**
 * An environment's promotions, newest first: the promotion records in the evidence bucket, and the registry's history
 * tags that no record names (promotions made before records were kept, or whose record could not be written).
 */
export type PromotionHistoryEntry =
    | { at: Date; recorded: { key: string; record: PromotionRecord } }
    /** A history tag no record names: it kept the image the environment had before a promotion at `at`. */
    | { at: Date; unrecorded: HistoryEntry };

/**
 * The newest `limit` entries. Only the newest `limit` records are read. A history tag is written a moment before its
 * promotion's record, so when older records stay unread, a tag is listed as unrecorded only if it is newer than the
 * oldest record read: an older one may belong to an unread record, and could not be among the newest `limit` anyway.
 */
export async function promotionHistory(store: EvidenceStore, images: TaggedImage[], environment: string, limit: number): Promise<PromotionHistoryEntry[]> {
    const keys = await store.promotionKeys(environment);
    const newest = keys.slice(-limit).reverse();
    const recorded = await Promise.all(newest.map(async ({ key }) => ({ key, record: await store.promotion(key) })));
    const named = new Set(recorded.flatMap(({ record }) => (record.historyTag ? [record.historyTag] : [])));
    const oldestRead = keys.length > newest.length ? Date.parse(recorded[recorded.length - 1].record.at) : -Infinity;
    const unrecorded = historyOf(images, environment).flatMap((entry) => {
        const at = historyTagTime(entry.tag);
        return at && !named.has(entry.tag) && at.getTime() > oldestRead ? [{ at, unrecorded: entry }] : [];
    });
    return [...recorded.map((entry) => ({ at: new Date(entry.record.at), recorded: entry })), ...unrecorded]
        .sort((a, b) => b.at.getTime() - a.at.getTime())
        .slice(0, limit);
}
