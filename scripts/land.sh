#!/usr/bin/env bash
# Land the current worktree's branch on main by fast-forward, one lander at a time.
# Parallel work happens in `git worktree`s; each merges main into its branch first (conflicts and
# migration numbers resolved there, checks green), then runs this. Branches are local: work not on
# main is easily lost, so land each finished piece at once rather than at the end.
set -euo pipefail
branch=$(git rev-parse --abbrev-ref HEAD)
main_tree=$(git worktree list --porcelain | awk '/^worktree /{print $2; exit}')
[ "$branch" != "main" ] || { echo "run from your worktree, not main"; exit 2; }
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then echo "commit first: tracked changes pending"; exit 2; fi
if git ls-files --error-unmatch .venv >/dev/null 2>&1; then echo ".venv is tracked: remove it from the commit"; exit 2; fi
exec 9>"$(git rev-parse --git-common-dir)/land.lock"
flock 9
if ! git merge-base --is-ancestor main HEAD; then
  echo "main moved since your last merge: run 'git merge main', re-check, then land again"; exit 1
fi
git -C "$main_tree" merge --ff-only --quiet "$branch"
echo "landed $branch at $(git -C "$main_tree" rev-parse --short HEAD) on main"
