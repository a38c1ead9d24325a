"""The Dockerfile read by Docker's own parser: what a build and a cluster rely on that its
lint (hadolint, in .ci/run) does not check."""

import re

import dockerfile

from tests.support.containers import DOCKERFILE, ROOT, instruction


def test_the_image_runs_as_a_numeric_non_root_user():
    """A numeric uid lets Kubernetes' runAsNonRoot verify it without reading /etc/passwd."""
    [user] = instruction("USER").value
    assert re.fullmatch(r"[1-9][0-9]*:[0-9]+", user), user


def test_every_base_image_is_pinned_to_a_patch_version():
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "FROM":
            tag = command.value[0].partition(":")[2]
            assert re.match(r"[0-9]+\.[0-9]+\.[0-9]+-", tag), command.original


def test_everything_the_build_copies_is_let_into_the_build_context():
    """.dockerignore lets in only what it names with `!`; a COPY of anything else fails."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    let_in = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "COPY" and not any(f.startswith("--from=") for f in command.flags):
            for source in command.value[:-1]:
                assert source in let_in, command.original
