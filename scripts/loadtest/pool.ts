/** Runs `work` on every item, at most `width` at a time, in order of the items; resolves once all have settled. */
export async function inPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
