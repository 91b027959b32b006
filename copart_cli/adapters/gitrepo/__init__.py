"""The only module that talks to git.

It runs the git binary directly: the plumbing copart needs (commit a path, read a
tree, merge-tree, bundles) is one subprocess each, and importing GitPython would
cost more start-up time than all of them together on the capture path.
git failures leave here as GitError with git's own first line; a fetch, push or clone that
fails is named by gitnet.failure (unreachable, refused, bad URL), with all of git's reasons.

One import surface: process (running git), values (parsed answers), locks (leftover lock
files), repo (GitRepo) with its mixins remotes and plumbing.
"""

from copart_cli.adapters.gitrepo.process import check_address, disk_full, run_bare, run_git, run_network
from copart_cli.adapters.gitrepo.repo import GitRepo
from copart_cli.adapters.gitrepo.values import CommitRecord, Identity, LoggedCommit, TreeMerge, parse_tree

__all__ = ["CommitRecord", "GitRepo", "Identity", "LoggedCommit", "TreeMerge", "check_address", "disk_full",
           "parse_tree", "run_bare", "run_git", "run_network"]
