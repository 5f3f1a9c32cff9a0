/**
 * ECR lifecycle policy rules as the stacks write them. ECR applies rules by ascending rulePriority, and an image
 * selected by a rule can never be expired by a rule of lower priority (a higher rulePriority number).
 */

export interface LifecycleRule {
    description: string;
    selection:
        | { tagStatus: "tagged"; tagPatternList: string[]; countType: "imageCountMoreThan"; countNumber: number }
        | { tagStatus: "untagged"; countType: "sinceImagePushed"; countUnit: "days"; countNumber: number };
    action: { type: "expire" };
}

/** Keeps the newest `count` images with a tag matching `pattern` (`*` matches any run of characters) among those it selects. */
export function keepNewestTagged(description: string, pattern: string, count: number): LifecycleRule {
    return {
        description,
        selection: { tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber: count },
        action: { type: "expire" },
    };
}

export function expireUntagged(days: number): LifecycleRule {
    return {
        description: `Expire untagged images ${days} day${days === 1 ? "" : "s"} after push`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: days },
        action: { type: "expire" },
    };
}

/** The policy document, its rules prioritised in the order given. */
export function lifecyclePolicy(rules: LifecycleRule[]): string {
    return JSON.stringify({ rules: rules.map((rule, index) => ({ rulePriority: index + 1, ...rule })) });
}
