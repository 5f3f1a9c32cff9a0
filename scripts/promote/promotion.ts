import { HISTORY_TAG_PREFIX } from "../../config";
import { compactTimestamp } from "../../k6/lib/summary";
import type { LoadTestEvidence } from "../release/promotion-record";
import { DIGEST_PATTERN } from "../release/verdict";
import { ImageManifest, ImageReference, ImageRepository, RegistryError, TaggedImage } from "./registry";

/**
 * Promotion, rollback and status over the shared registry's tags:
 * - an environment tag (its name) is the only tag that moves; a stack deploys the digest its tag names;
 * - before a promotion moves an environment tag, it records the image the tag pointed at under an immutable
 *   history tag, `history-<environment>-<UTC time>`;
 * - the history tags of an environment are an undo stack: a rollback moves the tag to the newest recorded image
 *   that differs from the current one and removes the history tags it used, so a second rollback goes further back.
 */

/** What the registry's tags mean, from the shared stack file. */
export interface ReleaseConventions {
    /** Environment names, in promotion order. */
    environments: readonly string[];
    versionTagPrefix: string;
}

export type Clock = () => Date;

export interface TagMove {
    environment: string;
    /** The digest the tag named before; undefined when the environment had no image yet. */
    fromDigest?: string;
    toDigest: string;
}

export interface HistoryEntry {
    tag: string;
    digest: string;
}

export interface PromotionRequest {
    /** An environment, a version tag or a digest. */
    from: string;
    /** The environment whose tag moves. */
    to: string;
    dryRun: boolean;
    /** Allows skipping or reversing the promotion order. */
    force: boolean;
}

/**
 * What a promotion must pass before it writes anything (gate.ts: the load test): asked after every read, a dry run
 * included, and not when there is nothing to change. It throws to refuse.
 */
export type PromotionGate = (move: TagMove) => Promise<LoadTestEvidence>;

export interface PromotionResult {
    /** `planned`: a dry run found what to change and wrote nothing. */
    outcome: "moved" | "planned" | "unchanged";
    from: string;
    move: TagMove;
    /** The history tag recorded (or to be recorded) for the image the environment pointed at before. */
    historyTag?: string;
    /** What the gate answered; absent when nothing changed. */
    loadTest?: LoadTestEvidence;
    /** Order checks that --force overrode. */
    warnings: string[];
}

export interface RollbackRequest {
    environment: string;
    dryRun: boolean;
}

export interface RollbackResult {
    outcome: "moved" | "planned";
    move: TagMove;
    restored: HistoryEntry;
    /** History tags the rollback used up: removed, or to be removed in a dry run. */
    consumedHistoryTags: string[];
    warnings: string[];
}

export interface EnvironmentStatus {
    environment: string;
    image?: { digest: string; pushedAt?: Date; versionTags: string[] };
    /** What a rollback would restore. */
    rollbackTarget?: HistoryEntry;
}

const HISTORY_TIMESTAMP_PATTERN = /^\d{8}T\d{6}Z$/;

/** `history-<environment>-<YYYYMMDDTHHMMSSZ>`: sorts by time as text, and is unique per environment and second. */
function historyTag(environment: string, at: Date): string {
    return `${HISTORY_TAG_PREFIX}${environment}-${compactTimestamp(at)}`;
}

/** The time a `YYYYMMDDTHHMMSSZ` stamp names (a history tag's or a run id's), or undefined when it is none. */
export function parseCompactTime(stamp: string): Date | undefined {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
    return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`) : undefined;
}

/** When a history entry was recorded: the time its tag ends with. */
export function historyTagTime(tag: string): Date | undefined {
    return parseCompactTime(tag.slice(tag.lastIndexOf("-") + 1));
}

/** An environment's history, newest first. The exact pattern keeps `dev` from claiming `dev-eu`'s entries. */
export function historyOf(images: TaggedImage[], environment: string): HistoryEntry[] {
    const prefix = `${HISTORY_TAG_PREFIX}${environment}-`;
    const isEntry = (tag: string) => tag.startsWith(prefix) && HISTORY_TIMESTAMP_PATTERN.test(tag.slice(prefix.length));
    return images
        .flatMap((image) => image.tags.filter(isEntry).map((tag) => ({ tag, digest: image.digest })))
        .sort((a, b) => (a.tag < b.tag ? 1 : -1));
}

/**
 * The entry a rollback restores: the newest one naming another image than the current.
 * Newer entries naming the current image (left by a rollback interrupted before it removed its entry)
 * are used up along with it.
 */
export function planRollback(history: HistoryEntry[], currentDigest: string | undefined): { restore: HistoryEntry; consumed: HistoryEntry[] } | undefined {
    const index = history.findIndex((entry) => entry.digest !== currentDigest);
    return index === -1 ? undefined : { restore: history[index], consumed: history.slice(0, index + 1) };
}

export function requireEnvironment(name: string, { environments }: ReleaseConventions): void {
    if (!environments.includes(name)) {
        throw new RegistryError(`unknown environment "${name}": the shared stack's environments are ${environments.join(", ")}`);
    }
}

function sourceReference(from: string, conventions: ReleaseConventions): ImageReference {
    if (conventions.environments.includes(from) || from.startsWith(conventions.versionTagPrefix)) return { tag: from };
    if (DIGEST_PATTERN.test(from)) return { digest: from };
    throw new RegistryError(
        `unknown source "${from}": give an environment (${conventions.environments.join(", ")}), ` +
            `a version tag (${conventions.versionTagPrefix}...) or a digest (sha256:<64 hex digits>)`,
    );
}

/** Why promoting `from` to `to` breaks the promotion order, or undefined when it follows it. */
function promotionOrderProblem(from: string, to: string, { environments }: ReleaseConventions): string | undefined {
    const order = environments.join(" → ");
    const sourceIndex = environments.indexOf(from);
    const targetIndex = environments.indexOf(to);
    if (sourceIndex === -1) {
        return targetIndex === 0 ? undefined : `a build enters at ${environments[0]}: ${from} → ${to} skips ${environments.slice(0, targetIndex).join(", ")} (order: ${order})`;
    }
    return targetIndex === sourceIndex + 1 ? undefined : `${to} does not follow ${from} in the promotion order ${order}`;
}

async function assertMovable(repository: ImageRepository, environment: string): Promise<void> {
    const { mutable, setting } = await repository.tagMutability(environment);
    if (!mutable) {
        throw new RegistryError(
            `the tag ${environment} is immutable in ${repository.location.repositoryName} (${setting}): environment tags must be ` +
                `excluded from tag immutability, which the shared stack configures (pulumi up -s shared). Nothing changed.`,
        );
    }
}

async function moveEnvironmentTag(repository: ImageRepository, environment: string, image: ImageManifest): Promise<void> {
    await repository.tagImage(environment, image);
    const now = await repository.findImage({ tag: environment });
    if (now?.digest !== image.digest) {
        throw new RegistryError(
            `verification failed: ${environment} points at ${now?.digest ?? "nothing"}, not ${image.digest}. Did someone else move it meanwhile? See --status.`,
        );
    }
}

/** Points an environment's tag at the image `from` names: the same manifest, media type and digest. */
export async function promote(
    repository: ImageRepository,
    conventions: ReleaseConventions,
    request: PromotionRequest,
    clock: Clock,
    gate: PromotionGate,
): Promise<PromotionResult> {
    const { from, to } = request;
    requireEnvironment(to, conventions);
    const source = sourceReference(from, conventions);
    if (from === to) throw new RegistryError(`cannot promote ${from} to itself`);
    const orderProblem = promotionOrderProblem(from, to, conventions);
    if (orderProblem && !request.force) throw new RegistryError(`${orderProblem}. Pass --force to promote out of order.`);
    const warnings = orderProblem ? [orderProblem] : [];

    const image = await repository.findImage(source);
    if (!image) throw new RegistryError(`${from} names no image in ${repository.location.repositoryName}: nothing to promote`);
    const current = await repository.findImage({ tag: to });
    const move = { environment: to, fromDigest: current?.digest, toDigest: image.digest };
    if (current?.digest === image.digest) return { outcome: "unchanged", from, move, warnings };

    const history = current && { tag: historyTag(to, clock()), image: current };
    if (current) await assertMovable(repository, to);
    const loadTest = await gate(move);
    if (request.dryRun) return { outcome: "planned", from, move, historyTag: history?.tag, loadTest, warnings };

    // The record first: if moving the tag then fails, an extra immutable record of the unchanged state is harmless.
    if (history) await repository.tagImage(history.tag, history.image);
    await moveEnvironmentTag(repository, to, image);
    return { outcome: "moved", from, move, historyTag: history?.tag, loadTest, warnings };
}

/** Moves an environment's tag back to the newest image its history recorded, and uses that entry up. */
export async function rollback(repository: ImageRepository, conventions: ReleaseConventions, request: RollbackRequest): Promise<RollbackResult> {
    const { environment } = request;
    requireEnvironment(environment, conventions);
    const images = await repository.listTaggedImages();
    const currentDigest = images.find((image) => image.tags.includes(environment))?.digest;
    const plan = planRollback(historyOf(images, environment), currentDigest);
    if (!plan) {
        throw new RegistryError(
            `no earlier image recorded for ${environment}: there is no ${HISTORY_TAG_PREFIX}${environment}-* tag on another image. ` +
                `Promote the image you want instead (a version tag or digest with --force).`,
        );
    }
    const image = await repository.findImage({ digest: plan.restore.digest });
    if (!image) throw new RegistryError(`the image ${plan.restore.tag} recorded is gone from the repository`);
    if (currentDigest) await assertMovable(repository, environment);

    const move = { environment, fromDigest: currentDigest, toDigest: image.digest };
    const consumedHistoryTags = plan.consumed.map((entry) => entry.tag);
    if (request.dryRun) return { outcome: "planned", move, restored: plan.restore, consumedHistoryTags, warnings: [] };

    await moveEnvironmentTag(repository, environment, image);
    const failures = await repository.untag(consumedHistoryTags);
    const warnings = failures.map((failure) => `could not remove the used history tag ${failure}; remove it before rolling back again`);
    return { outcome: "moved", move, restored: plan.restore, consumedHistoryTags, warnings };
}

/** Each environment's image (in promotion order), its version tags, and what a rollback would restore. */
export async function environmentStatus(repository: ImageRepository, conventions: ReleaseConventions): Promise<EnvironmentStatus[]> {
    const images = await repository.listTaggedImages();
    return conventions.environments.map((environment) => {
        const image = images.find((candidate) => candidate.tags.includes(environment));
        return {
            environment,
            image: image && {
                digest: image.digest,
                pushedAt: image.pushedAt,
                versionTags: image.tags.filter((tag) => tag.startsWith(conventions.versionTagPrefix)).sort(),
            },
            rollbackTarget: planRollback(historyOf(images, environment), image?.digest)?.restore,
        };
    });
}
