/**
 * A model of how ECR applies a lifecycle policy, after the ECR user guide ("How lifecycle policies work",
 * "Lifecycle policy properties"), so tests can run a policy against a repository's history:
 * - rules apply in ascending rulePriority;
 * - a tagged rule selects an image when every pattern of its tagPatternList matches one of the image's tags
 *   (patterns are ANDed; `*` matches any run of characters, a pattern without `*` matches one exact tag);
 * - imageCountMoreThan sorts the selected images newest push first and expires those past the count;
 *   sinceImagePushed expires the selected images older than the count in days;
 * - an image selected by a rule can't be expired by any rule of lower priority (higher rulePriority number),
 *   although lower rules still count it.
 */

export interface LifecycleSelection {
    tagStatus: "tagged" | "untagged" | "any";
    tagPatternList?: string[];
    tagPrefixList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
}

export interface LifecycleRule {
    rulePriority: number;
    description?: string;
    selection: LifecycleSelection;
    action: { type: "expire" };
}

export interface LifecyclePolicy {
    rules: LifecycleRule[];
}

export interface Image {
    digest: string;
    tags: string[];
    /** Days since the image was pushed. */
    ageDays: number;
}

export function matchesTagPattern(pattern: string, tag: string): boolean {
    const regex = pattern
        .split("*")
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
        .join(".*");
    return new RegExp(`^${regex}$`).test(tag);
}

function selects(selection: LifecycleSelection, image: Image): boolean {
    switch (selection.tagStatus) {
        case "any":
            return true;
        case "untagged":
            return image.tags.length === 0;
        case "tagged":
            return (
                image.tags.length > 0 &&
                (selection.tagPatternList ?? []).every((pattern) => image.tags.some((tag) => matchesTagPattern(pattern, tag))) &&
                (selection.tagPrefixList ?? []).every((prefix) => image.tags.some((tag) => tag.startsWith(prefix)))
            );
    }
}

/** The digests the policy expires from the repository. */
export function expiredDigests(policy: LifecyclePolicy, images: Image[]): Set<string> {
    const expired = new Set<string>();
    const selectedByHigherRule = new Set<string>();
    for (const rule of [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
        const { countType, countNumber } = rule.selection;
        const selected = images.filter((image) => selects(rule.selection, image));
        const beyondCount =
            countType === "imageCountMoreThan"
                ? [...selected].sort((a, b) => a.ageDays - b.ageDays).slice(countNumber)
                : selected.filter((image) => image.ageDays > countNumber);
        for (const image of beyondCount) {
            if (!selectedByHigherRule.has(image.digest)) expired.add(image.digest);
        }
        for (const image of selected) selectedByHigherRule.add(image.digest);
    }
    return expired;
}

/** What ECR refuses in a policy (Lifecycle policy properties); empty when the policy is acceptable. */
export function lifecyclePolicyProblems(policy: LifecyclePolicy): string[] {
    const problems: string[] = [];
    const priorities = policy.rules.map((rule) => rule.rulePriority);
    if (new Set(priorities).size !== priorities.length) problems.push("rulePriority values are not unique");
    if (priorities.some((priority) => !Number.isInteger(priority) || priority < 1)) problems.push("a rulePriority is not a positive integer");
    const highest = Math.max(...priorities);
    for (const rule of policy.rules) {
        const { tagStatus, tagPatternList, tagPrefixList, countType, countUnit, countNumber } = rule.selection;
        const where = `rule ${rule.rulePriority}`;
        if (tagStatus === "any" && rule.rulePriority !== highest) problems.push(`${where}: tagStatus any must have the highest rulePriority`);
        if (tagStatus === "tagged" && !tagPatternList?.length && !tagPrefixList?.length) problems.push(`${where}: tagged without tagPatternList or tagPrefixList`);
        if (tagStatus !== "tagged" && (tagPatternList || tagPrefixList)) problems.push(`${where}: tag lists are only for tagStatus tagged`);
        if (tagPatternList && tagPrefixList) problems.push(`${where}: both tagPatternList and tagPrefixList`);
        if (tagPatternList?.some((pattern) => pattern.split("*").length - 1 > 4)) problems.push(`${where}: more than four wildcards in a pattern`);
        if (!Number.isInteger(countNumber) || countNumber < 1) problems.push(`${where}: countNumber must be a positive integer`);
        if (countType === "sinceImagePushed" && countUnit !== "days") problems.push(`${where}: sinceImagePushed needs countUnit days`);
        if (countType === "imageCountMoreThan" && countUnit !== undefined) problems.push(`${where}: imageCountMoreThan takes no countUnit`);
        if (rule.action.type !== "expire") problems.push(`${where}: action must be expire`);
    }
    if (policy.rules.filter((rule) => rule.selection.tagStatus === "untagged").length > 1) problems.push("more than one rule selects untagged images");
    return problems;
}
