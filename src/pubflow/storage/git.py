"""The only module that talks to git. It offers a few intention-named functions that return
plain values, and turns every git failure into a `GitError` naming the command and git's words.

gitpython is imported lazily inside the functions: most pubflow runs never need git at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from pubflow.errors import GitError


def _repo(root: Path) -> Any:
    try:
        import git
    except ImportError as exc:  # pragma: no cover - gitpython is a dependency
        raise GitError("gitpython is not installed") from exc
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root}: not a git repository",
                       hint="Run pubflow inside a git checkout (git init).") from exc
    except git.GitCommandNotFound as exc:
        raise GitError("git is not installed or not on PATH") from exc
    # A pubflow repository may be a folder of a bigger checkout (its root is where pubflow.yaml
    # is): git runs in that folder, so every path pubflow names is relative to its own root.
    repo.git._working_dir = str(root)  # the same command object the object database uses
    return repo


def _git(repo: Any, *args: str) -> str:
    import git

    try:
        return str(repo.git.execute(["git", *args]))
    except git.GitCommandError as exc:
        stderr = (exc.stderr or "").strip().removeprefix("stderr: ").strip("'\n ")
        raise GitError(f"`git {' '.join(args)}` failed (exit {exc.status}): {stderr}") from exc


def changed_files(root: Path, base: str | None) -> list[Path]:
    """Files added or modified since `base` (default HEAD), staged or not, plus untracked ones.

    With a base such as `origin/main` the comparison starts at the merge base, as a pull
    request's diff does. Deleted files are left out: there is nothing left to validate.
    """
    repo = _repo(root)
    top = Path(_git(repo, "rev-parse", "--show-toplevel"))
    names: set[str] = set()
    has_head = _has_head(repo)
    if base is not None:
        check_history_reaches(root, base, "--base")
        start = _git(repo, "merge-base", base, "HEAD") if has_head else base
        names.update(_lines(_git(repo, "diff", "--name-only", "--diff-filter=ACMR", "-z", start)))
    elif has_head:
        names.update(_lines(_git(repo, "diff", "--name-only", "--diff-filter=ACMR", "-z", "HEAD")))
    else:
        names.update(_lines(_git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")))
    names.update(_lines(_git(repo, "ls-files", "--others", "--exclude-standard", "--full-name", "-z")))
    return sorted(top / name for name in names if (top / name).exists())


SHALLOW_HINT = ("This is a shallow clone (GitHub's actions/checkout fetches one commit by "
                "default): fetch more history. In GitHub Actions give actions/checkout "
                "`fetch-depth: 0`; elsewhere run `git fetch --deepen=100` (again until the "
                "base is reached) or `git fetch --unshallow`, and fetch the base branch "
                "(`git fetch origin main`).")
"""What to do when a comparison needs commits a shallow clone left out."""


def is_shallow(root: Path) -> bool:
    """True in a shallow clone (`git clone --depth N`, GitHub's default checkout)."""
    return _run_git(root, ["rev-parse", "--is-shallow-repository"],
                    check=False).strip() == b"true"


def check_history_reaches(root: Path, ref: str, option: str) -> None:
    """Refuse (exit 2) a comparison with `ref` (given as `option`) that the history cannot
    make: `ref` names no commit here, or it shares no history with HEAD. In a shallow clone
    the message says so and how to fetch more history; that is the usual cause in CI."""
    shallow = is_shallow(root)
    if resolve_commit(root, ref) is None:
        if shallow:
            raise GitError(f"{option} {ref}: no such commit in this shallow clone",
                           hint=SHALLOW_HINT)
        raise GitError(f"{option} {ref}: no such commit in this repository",
                       hint="Give a branch, tag or commit, e.g. origin/main; fetch it first "
                            "if it lives on a remote (`git fetch origin main`).")
    if resolve_commit(root, "HEAD") is None or merge_base(root, ref) is not None:
        return
    if shallow:
        raise GitError(f"{option} {ref}: this shallow clone does not reach the commit where "
                       f"{ref} and HEAD meet", hint=SHALLOW_HINT)
    raise GitError(f"{option} {ref}: {ref} and HEAD share no history",
                   hint="Compare with a commit of this branch's history, e.g. origin/main.")


def _has_head(repo: Any) -> bool:
    import git

    try:
        repo.git.execute(["git", "rev-parse", "--verify", "--quiet", "HEAD"])
    except git.GitCommandError:
        return False
    return True


def _lines(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def ensure_repository(root: Path) -> None:
    """Raise `GitError` now, before anything is written, when `root` is not a git checkout."""
    _repo(root)


def commit_paths(root: Path, paths: list[Path], message: str, *, sign: bool = False) -> str:
    """Stage exactly `paths` and commit only them (other staged work is left alone); `sign`
    signs the commit with the actor's own git signing key (`trust.signed`).

    Returns the new commit's sha.
    """
    from pubflow.storage.signing import signing_arguments

    signed = signing_arguments(root) if sign else []
    repo = _repo(root)
    names = [Path(p).relative_to(root).as_posix() if p.is_absolute() else str(p) for p in paths]
    _git(repo, "add", "--", *names)
    others = set(_lines(_git(repo, "diff", "--cached", "--name-only", "-z"))) - set(names)
    if others:  # someone's own staged work: leave it staged, commit only ours
        _git(repo, "commit", "-q", *signed, "--only", "-m", message, "--", *names)
    else:  # the same commit, without --only's second pass over a big index
        _git(repo, "commit", "-q", *signed, "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


def uncommitted(root: Path, path: Path) -> str | None:
    """Why the content of `path` is not what HEAD holds ("untracked", "modified"), or None
    when it is committed as it is."""
    # --no-optional-locks: a status must not take the index lock that a concurrent pubflow
    # command's commit needs.
    out = _git(_repo(root), "--no-optional-locks", "status", "--porcelain=v1",
               "--untracked-files=all", "-z", "--",
               str(path.relative_to(root)) if path.is_absolute() else str(path))
    if not out:
        return None
    return "untracked" if out.startswith("??") else "modified since the last commit"


def user_email(root: Path) -> str | None:
    """`git config user.email`, or None when it is not set."""
    return get_config(root, "user.email")


def conflicted_versions(root: Path, under: str) -> dict[str, tuple[bytes | None, bytes | None]]:
    """Unmerged files below `under`: repo-relative path -> (ours, theirs) content, or None
    for a side that deleted the file."""
    repo = _repo(root)
    out = _git(repo, "ls-files", "-u", "-z", "--", under)
    stages: dict[str, dict[int, str]] = {}
    for record in _lines(out):
        meta, _, name = record.partition("\t")
        _mode, sha, stage = meta.split()
        stages.setdefault(name, {})[int(stage)] = sha
    result: dict[str, tuple[bytes | None, bytes | None]] = {}
    for name, by_stage in sorted(stages.items()):
        result[name] = (_blob(repo, by_stage.get(2)), _blob(repo, by_stage.get(3)))
    return result


def _blob(repo: Any, sha: str | None) -> bytes | None:
    if sha is None:
        return None
    data: bytes = repo.odb.stream(bytes.fromhex(sha)).read()
    return data


def stage_paths(root: Path, paths: list[Path]) -> None:
    """`git add` exactly these paths (marks merge conflicts in them as resolved)."""
    repo = _repo(root)
    _git(repo, "add", "--", *[str(p.relative_to(root)) if p.is_absolute() else str(p)
                              for p in paths])


def merge_file_text(current: Path, base: Path, other: Path) -> int:
    """`git merge-file`: a three-way text merge into `current`; the number of conflicts."""
    import subprocess

    try:
        done = subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
                               str(current), str(base), str(other)], capture_output=True,
                              text=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if done.returncode < 0:
        raise GitError(f"`git merge-file` failed: {done.stderr.strip()}")
    return done.returncode


def set_config(root: Path, key: str, value: str) -> None:
    """`git config KEY VALUE` in this repository's own configuration."""
    _git(_repo(root), "config", key, value)


def get_config(root: Path, key: str) -> str | None:
    import git

    try:
        value = str(_repo(root).git.execute(["git", "config", "--get", key])).strip()
    except git.GitCommandError:
        return None
    return value or None


def head_sha(root: Path) -> str:
    return _git(_repo(root), "rev-parse", "HEAD").strip()


def commit_with_trailer(root: Path, since: str, trailer: str) -> str | None:
    """The commit after `since` (up to HEAD) whose message contains `trailer`, if any."""
    out = _git(_repo(root), "rev-list", "--fixed-strings", f"--grep={trailer}",
               f"{since}..HEAD")
    lines = out.split()
    return lines[0] if lines else None


def restore_paths(root: Path, commit: str, tracked: list[str], new: list[str]) -> None:
    """Put `tracked` back as they are in `commit` (work tree and index); drop `new` ones."""
    repo = _repo(root)
    if tracked:
        _git(repo, "checkout", commit, "--", *tracked)
    if new:
        _git(repo, "rm", "-q", "--cached", "--ignore-unmatch", "-r", "--", *new)
        for name in new:
            path = root / name
            if path.is_file() or path.is_symlink():
                path.unlink()


def missing_identity(root: Path) -> str | None:
    """Why git could not make a commit here for want of a name or email (None: it can)."""
    import subprocess

    for what in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        try:
            done = subprocess.run(["git", "var", what], cwd=root, capture_output=True,
                                  check=False)
        except FileNotFoundError as exc:
            raise GitError("git is not installed or not on PATH") from exc
        if done.returncode != 0:
            words = done.stderr.decode("utf-8", "replace").strip().splitlines()
            said = next((w for w in words if w.startswith("fatal:")),
                        words[-1] if words else "no identity")
            return f"{said.removeprefix('fatal:').strip()} (set user.name and user.email)"
    return None


def dirty_paths(root: Path, names: list[str]) -> list[tuple[str, str]]:
    """Which of these repo-relative paths differ from HEAD, staged or not, or exist untracked:
    (path, how) pairs."""
    if not names:
        return []
    out = _run_git(root, ["--no-optional-locks", "status", "--porcelain=v1", "-z",
                          "--untracked-files=all", "--", *names])
    found = []
    for entry in out.decode("utf-8", "replace").split("\0"):
        if len(entry) < 4 or entry[2] != " ":
            continue  # the source of a rename (-z puts it in an entry of its own)
        code, name = entry[:2], entry[3:]
        how = ("untracked" if code == "??" else "staged" if code[1] == " "
               else "modified" if code[0] == " " else "staged and modified")
        found.append((name, how))
    return found


def tag_target(root: Path, name: str) -> str:
    """The commit a tag marks."""
    out = _run_git(root, ["rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}"],
                   check=False)
    return out.decode().strip()


def tag_exists(root: Path, name: str) -> bool:
    import git

    try:
        _repo(root).git.execute(["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{name}"])
    except git.GitCommandError:
        return False
    return True


def create_tag(root: Path, name: str, message: str, commit: str, *, sign: bool = False) -> None:
    """An annotated tag on `commit`, signed with the actor's git key when `sign`."""
    _git(_repo(root), "tag", "-s" if sign else "-a", name, "-m", message, commit)


def tracked(root: Path, names: list[str]) -> set[str]:
    """Which of these repo-relative paths git tracks at HEAD."""
    if not names:
        return set()
    out = _git(_repo(root), "ls-tree", "-r", "--name-only", "-z", "HEAD", "--", *names)
    return set(_lines(out))


def is_repository(path: Path) -> bool:
    """Whether `path` is inside a git work tree."""
    import subprocess

    done = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=path,
                          capture_output=True, text=True, check=False)
    return done.returncode == 0 and done.stdout.strip() == "true"


def init_repository(path: Path) -> None:
    import subprocess

    done = subprocess.run(["git", "init", "-q", str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise GitError(f"`git init {path}` failed: {done.stderr.strip()}")


# --- History, for `pubflow verify`: a few processes however many commits there are. ---

NULL_SHA = "0" * 40


class FileChange(NamedTuple):
    """One file a commit changed relative to one of its parents: blob shas, None = absent."""

    path: str
    old: str | None
    new: str | None


class CommitChanges(NamedTuple):
    """A commit that changed files below the walked paths, and what it changed relative to
    each of its parents (in parent order; empty for a parent it does not differ from)."""

    sha: str
    parents: tuple[str, ...]
    subject: str
    changes: tuple[tuple[FileChange, ...], ...]


def resolve_commit(root: Path, ref: str) -> str | None:
    """The commit `ref` names, or None when it names none."""
    import subprocess

    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{ref}^{{commit}}"], cwd=root, capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or None if done.returncode == 0 else None


def commits_changing(root: Path, paths: list[str], since: str | None = None) -> list[CommitChanges]:
    """Every commit reachable from HEAD (not from `since`) that changed one of `paths`,
    parents before children, each with its changes against every parent. Two processes:
    `git log` for the commits, one `git diff-tree --stdin` for all their diffs."""
    if not _run_git(root, ["rev-parse", "--verify", "--quiet", "HEAD"], check=False):
        return []
    revs = ["HEAD"] if since is None else [f"{since}..HEAD"]
    out = _run_git(root, ["log", "--full-history", "--topo-order", "--reverse",
                          "--format=%H%x00%P%x00%s%x00", *revs, "--", *paths])
    fields = out.split(b"\0")
    commits: list[tuple[str, tuple[str, ...], str]] = []
    for index in range(0, len(fields) - 1, 3):
        sha = fields[index].strip().decode()
        parents = tuple(fields[index + 1].decode().split())
        subject = fields[index + 2].decode("utf-8", "replace")
        commits.append((sha, parents, subject))
    if not commits:
        return []
    pairs = []
    for sha, parents, _subject in commits:
        pairs += [f"{sha} {parent}" for parent in parents] if parents else [sha]
    diff = _run_git(root, ["diff-tree", "--stdin", "--always", "--root", "-r", "--raw", "-z",
                           "--no-renames", "--no-abbrev", "--", *paths],
                    stdin=("\n".join(pairs) + "\n").encode())
    blocks = _diff_blocks(diff)
    result = []
    position = 0
    for sha, parents, subject in commits:
        per_parent = []
        for _ in parents or ("",):
            per_parent.append(blocks[position])
            position += 1
        result.append(CommitChanges(sha, parents, subject, tuple(per_parent)))
    return result


def _diff_blocks(out: bytes) -> list[tuple[FileChange, ...]]:
    """`diff-tree --stdin --always -z --raw` output: one block per input line, in order."""
    tokens = out.split(b"\0")
    blocks: list[list[FileChange]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.startswith(b":"):
            _old_mode, _new_mode, old, new, _status = token[1:].decode().split()
            path = tokens[index + 1].decode("utf-8", "surrogateescape")
            blocks[-1].append(FileChange(path, None if old == NULL_SHA else old,
                                         None if new == NULL_SHA else new))
            index += 2
            continue
        text = token.strip()
        if text:
            blocks.append([])  # a commit header line
        index += 1
    return [tuple(block) for block in blocks]


def read_blobs(root: Path, shas: list[str]) -> dict[str, bytes]:
    """The content of each blob, through one `git cat-file --batch`."""
    import threading

    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    process = _popen(root, ["cat-file", "--batch"])
    assert process.stdin is not None and process.stdout is not None

    def feed() -> None:
        assert process.stdin is not None
        try:
            process.stdin.write("".join(f"{sha}\n" for sha in wanted).encode())
        finally:
            process.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    result: dict[str, bytes] = {}
    with process:
        writer.start()
        reader = process.stdout
        for sha in wanted:
            header = reader.readline().split()
            if len(header) != 3:
                process.kill()
                writer.join()
                raise GitError(f"`git cat-file --batch`: cannot read object {sha}")
            result[sha] = reader.read(int(header[2]))
            reader.read(1)
        writer.join()
    return result


def blob_sizes(root: Path, shas: list[str]) -> dict[str, int]:
    """The size of each blob, without reading it (`git cat-file --batch-check`)."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    out = _run_git(root, ["cat-file", "--batch-check"],
                   stdin="".join(f"{sha}\n" for sha in wanted).encode())
    sizes = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 3:
            sizes[parts[0]] = int(parts[2])
    return sizes


def tags_under(root: Path, prefix: str) -> list[tuple[str, str, str]]:
    """(tag name, the commit it points at, that commit's subject) for every tag below
    `refs/tags/<prefix>`, in one `git for-each-ref`."""
    out = _run_git(root, ["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00"
                          "%(*objectname)%00%(subject)%00%(*subject)",
                          f"refs/tags/{prefix}"]).decode("utf-8", "replace")
    result = []
    for line in out.splitlines():
        name, direct, peeled, subject, peeled_subject = (line.split("\0") + [""] * 4)[:5]
        result.append((name, peeled or direct, peeled_subject if peeled else subject))
    return result


def _popen(root: Path, args: list[str]) -> Any:
    import subprocess

    try:
        return subprocess.Popen(["git", *args], cwd=root, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc


def _run_git(root: Path, args: list[str], *, stdin: bytes | None = None,
             check: bool = True) -> bytes:
    import subprocess

    try:
        done = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True,
                              check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if done.returncode != 0:
        if not check:
            return b""
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"`git {' '.join(args[:2])}` failed (exit {done.returncode}): {stderr}")
    return done.stdout


# --- What a pull request changed, for `pubflow verify --since`. ---

def merge_base(root: Path, ref: str) -> str | None:
    """The commit where HEAD's history and `ref`'s meet (a pull request's starting point), or
    None when they share none."""
    out = _run_git(root, ["merge-base", "--end-of-options", ref, "HEAD"], check=False)
    return out.decode().strip() or None


def changed_since(root: Path, commit: str, under: str | None = None) -> list[str]:
    """Repository-relative paths (below `under`, if given) that differ between `commit` and
    the work tree, added, modified or deleted, committed or not, plus untracked files."""
    limit = ["--", under] if under is not None else []
    diff = _run_git(root, ["diff", "--name-only", "--relative", "--no-renames", "-z", commit,
                           *limit])
    others = _run_git(root, ["ls-files", "--others", "--exclude-standard", "-z", *limit])
    names = {n for out in (diff, others) for n in out.decode("utf-8", "surrogateescape")
             .split("\0") if n}
    return sorted(names)


def file_at(root: Path, commit: str, path: str) -> bytes:
    """A file's content in `commit`; empty when the commit has no such file."""
    return _run_git(root, ["cat-file", "blob", f"{commit}:{path}"], check=False)


def symlinks(root: Path) -> list[str]:
    """Every symlink git tracks in the index (repository-relative paths)."""
    out = _run_git(root, ["ls-files", "-s", "-z"])
    found = []
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, name = record.partition("\t")
        if meta.startswith("120000 "):
            found.append(name)
    return found
