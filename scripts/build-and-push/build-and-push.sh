#!/usr/bin/env bash
# Builds the service image from the current commit, pushes it to the shared registry under its immutable
# version tag (sha-<12-digit commit>), then points the first environment (dev) at it with the promote command,
# so dev's previous image is recorded for --rollback.
#
# Needs git, docker (with BuildKit), the AWS CLI v2 and credentials for the shared account that may push to
# the repository (for example AWS_PROFILE set to a profile for that account). See docs/release-flow.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: npm run build-and-push -- [--allow-dirty] [--stack-file <path>]

  --allow-dirty        build a tree with uncommitted changes, tagged sha-<commit>-dirty-<UTC time>
                       (the plain version tag always names exactly its commit)
  --stack-file <path>  shared stack file with the registry, relative to the repository root
                       (default: Pulumi.shared.yaml)

Environment: AWS_PROFILE (or any standard AWS credentials) for the shared account;
IMAGE_PLATFORM, the platform to build for (default linux/amd64, Fargate's default).
EOF
}

fail() {
  echo "error: $*" >&2
  exit 1
}

allow_dirty=false
stack_file=Pulumi.shared.yaml
while (($# > 0)); do
  case "$1" in
    --allow-dirty) allow_dirty=true ;;
    --stack-file)
      (($# >= 2)) || { usage >&2; exit 2; }
      stack_file="$2"
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

for tool in git docker aws npm; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (needed to build and push the image)"
done

cd "$(dirname "$0")/../.."

version_tag_for_tree() {
  local prefix="$1" commit
  commit="$(git rev-parse --short=12 HEAD)"
  if [[ -z "$(git status --porcelain)" ]]; then
    echo "${prefix}${commit}"
  elif [[ "$allow_dirty" == true ]]; then
    echo "${prefix}${commit}-dirty-$(date -u +%Y%m%dT%H%M%SZ)"
  else
    fail "the working tree has uncommitted changes: commit them, or pass --allow-dirty"
  fi
}

# The registry's coordinates come from the same place as the promote command's: the shared stack file.
registry_settings="$(npm run --silent promote -- --print-registry --stack-file "$stack_file")"
while IFS='=' read -r key value; do
  case "$key" in
    repositoryUri) repository_uri="$value" ;;
    region) region="$value" ;;
    registryId) registry_id="$value" ;;
    repositoryName) repository_name="$value" ;;
    versionTagPrefix) version_tag_prefix="$value" ;;
    firstEnvironment) first_environment="$value" ;;
  esac
done <<<"$registry_settings"

version_tag="$(version_tag_for_tree "$version_tag_prefix")"
image="${repository_uri}:${version_tag}"

# True when the tag exists; false when the registry says it does not; any other failure stops the script.
tag_exists() {
  local output
  if output="$(aws ecr describe-images --region "$region" --registry-id "$registry_id" \
    --repository-name "$repository_name" --image-ids "imageTag=$1" --output text 2>&1)"; then
    return 0
  fi
  [[ "$output" == *ImageNotFoundException* ]] || fail "cannot look up $1 in the registry: $output"
  return 1
}

# Version tags are immutable: a second build of the same commit could not be pushed under its tag,
# and does not need to be.
if tag_exists "$version_tag"; then
  echo "$image is already in the registry: not building it again"
else
  registry_host="${repository_uri%%/*}"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry_host"
  echo "Building $image"
  DOCKER_BUILDKIT=1 docker build --platform "${IMAGE_PLATFORM:-linux/amd64}" -f service/Dockerfile -t "$image" .
  docker push "$image"
fi

npm run --silent promote -- "$version_tag" "$first_environment" --stack-file "$stack_file"
