/**
 * A run store in memory that answers as S3 does where the orchestration depends on it, for the benchmark of 1,000
 * runners in one process (1,000 SDK clients over HTTP would spend the machine's two cores on HTTP alone; the store's
 * SDK path is tested against loadgen/test/loopback-s3.ts):
 * - every response carries S3's time in whole seconds (the `Date` header), from a clock `serverOffsetMs` off the
 *   machine's, and arrives after a network latency;
 * - an object's LastModified is whole seconds too;
 * - a conditional write is atomic: the first writer creates, any later one sees "exists";
 * - it counts each kind of request, the way S3 bills them.
 */
import { RunStore, StoredObject } from "../../../loadgen/src/run-store";
import { ServerClock } from "../../../loadgen/src/server-clock";

export interface SimulatedS3Options {
    /** S3's clock against this machine's. */
    serverOffsetMs: number;
    /** One way, each request and each response: uniform in [min, max]. */
    latencyMs: { min: number; max: number };
}

export interface RequestCounts {
    puts: number;
    conditionalPuts: number;
    gets: number;
    lists: number;
}

class Bucket {
    readonly objects = new Map<string, StoredObject>();
    readonly counts: RequestCounts = { puts: 0, conditionalPuts: 0, gets: 0, lists: 0 };

    constructor(readonly options: SimulatedS3Options) {}

    serverNow(): number {
        return Date.now() + this.options.serverOffsetMs;
    }
}

const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

export class SimulatedS3Store implements RunStore {
    readonly location = "s3://simulated";

    private constructor(
        private readonly bucket: Bucket,
        readonly clock: ServerClock,
    ) {}

    static create(options: SimulatedS3Options, clock = new ServerClock()): SimulatedS3Store {
        return new SimulatedS3Store(new Bucket(options), clock);
    }

    get counts(): RequestCounts {
        return this.bucket.counts;
    }

    withClock(clock: ServerClock): SimulatedS3Store {
        return new SimulatedS3Store(this.bucket, clock);
    }

    get(key: string): Promise<StoredObject | undefined> {
        this.bucket.counts.gets++;
        return this.request(() => this.bucket.objects.get(key));
    }

    put(key: string, body: Buffer | string): Promise<void> {
        this.bucket.counts.puts++;
        return this.request(() => {
            this.bucket.objects.set(key, { body: Buffer.from(body), lastModified: wholeSecond(this.bucket.serverNow()) });
        });
    }

    putIfAbsent(key: string, body: Buffer | string): Promise<"created" | "exists"> {
        this.bucket.counts.conditionalPuts++;
        return this.request(() => {
            if (this.bucket.objects.has(key)) return "exists";
            this.bucket.objects.set(key, { body: Buffer.from(body), lastModified: wholeSecond(this.bucket.serverNow()) });
            return "created";
        });
    }

    list(prefix: string): Promise<string[]> {
        // ListObjectsV2 pages by 1,000 keys: one request per page.
        const keys = [...this.bucket.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
        this.bucket.counts.lists += Math.max(1, Math.ceil(keys.length / 1000));
        return this.request(() => keys);
    }

    /** The request travels, S3 serves it and stamps its response, the response travels back. */
    private async request<T>(serve: () => T): Promise<T> {
        const sentAt = this.clock.localNow();
        await this.travel();
        const result = serve();
        const stamped = wholeSecond(this.bucket.serverNow());
        await this.travel();
        this.clock.observe(stamped, 1000, sentAt, this.clock.localNow());
        return result;
    }

    private travel(): Promise<void> {
        const { min, max } = this.bucket.options.latencyMs;
        return new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
    }
}
