"""`studio keys create | list | revoke` as an admin runs them: on the database directly, before or
while Studio runs; wrong input is one sentence and exit 2."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.cli.test_startup import assert_one_sentence, studio

KEY = re.compile(r"studio_([0-9a-f]{12})_\S+")
MINUTE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
NO_KEYS = "No API keys yet: Studio runs open on a loopback address. Make the first with `studio keys create NAME --admin`."


def keys(*args: str, database: list[str]) -> subprocess.CompletedProcess[str]:
    result = studio("keys", *args, *database)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def created(*args: str, database: list[str]) -> str:
    """The prefix of the key `studio keys create` made, which it prints alone on stdout."""
    result = keys("create", *args, database=database)
    assert result.returncode == 0, result.stderr
    match = KEY.fullmatch(result.stdout.strip())
    assert match is not None, result.stdout
    return match[1]


def rows(database: list[str]) -> list[list[str]]:
    """`studio keys list` as rows of cells (columns are two spaces or more apart), header first."""
    result = keys("list", database=database)
    assert result.returncode == 0, result.stderr
    return [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()]


def test_a_fresh_install_makes_its_first_admin_key_before_studio_first_runs(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]  # nothing there yet: the command migrates first
    assert keys("list", database=data).stdout.strip() == NO_KEYS

    result = keys("create", "root", "--admin", database=data)
    assert result.returncode == 0, result.stderr
    match = KEY.fullmatch(result.stdout.strip())  # the key alone on stdout, for KEY=$(studio keys create ...)
    assert match is not None, result.stdout
    # The audit line goes through the log's queue (another thread): it may come before or after the notice.
    logged = [line for line in result.stderr.strip().splitlines() if line.startswith("INFO")]
    said = [line for line in result.stderr.strip().splitlines() if not line.startswith("INFO")]
    assert said[0] == f"Keep this key now: Studio stores only a hash of it and cannot show it again (admin key 'root', prefix {match[1]})."
    assert len(said) == 2 and re.fullmatch(r"Its jobs' webhook deliveries are signed with whsec_[A-Za-z0-9+/=]{44} \(GET /api/webhooks/secret shows it again\)\.", said[1])
    assert len(logged) == 1 and logged[0].endswith(f"studio.audit - audit - audit: key=(studio keys) action=create key target=root ({match[1]})")
    header, root = rows(data)
    assert header == ["NAME", "ROLE", "PREFIX", "LIMITS", "CREATED", "LAST USED", "REVOKED"]
    assert root[:4] == ["root", "admin", match[1], "none"] and MINUTE.fullmatch(root[4]) and root[5:] == ["-", "-"]
    assert match[0].encode() not in (tmp_path / "data" / "studio.sqlite").read_bytes()  # only its hash is kept


def test_create_list_revoke_and_rotate(database_url: str) -> None:
    database = ["--database-url", database_url]
    alice = created(
        "alice", "--max-queued", "5", "--rate", "10/min", "--max-gpu-minutes-per-day", "60",
        "--upload-quota", "500MB", "--priority", "2", database=database,
    )
    bob = created("bob", "--rate", "3", "--upload-quota", "1048576", database=database)
    assert [row[:4] for row in rows(database)[1:]] == [
        ["alice", "user", alice, "5 queued, 10/min, 60 GPU min/day, 500MB uploads, priority 2"],
        ["bob", "user", bob, "3/min, 1MB uploads"],
    ]

    assert_one_sentence(
        keys("create", "alice", database=database), f"The API key 'alice' ({alice}) is active; to rotate it, revoke it first"
    )

    revoked = keys("revoke", alice, database=database)  # by prefix
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"Revoked 'alice' ({alice}): it stops working at once."
    assert revoked.stderr.strip().endswith(f"audit: key=(studio keys) action=revoke key target=alice ({alice})")
    assert MINUTE.fullmatch(rows(database)[1][-1])
    assert_one_sentence(keys("revoke", "alice", database=database), f"The API key 'alice' ({alice}) is already revoked.")
    assert_one_sentence(
        keys("revoke", "nobody", database=database), "No API key has the name, prefix or id 'nobody'; `studio keys list` lists them."
    )

    rotated = created("alice", database=database)  # the revoked key's name is free again
    by_name = keys("revoke", "alice", database=database)  # the active key of that name
    assert by_name.stdout.strip() == f"Revoked 'alice' ({rotated}): it stops working at once."
    assert [(row[0], row[2], row[-1] != "-") for row in rows(database)[1:]] == [
        ("alice", alice, True), ("bob", bob, False), ("alice", rotated, True),
    ]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["two words"], "NAME 'two words' is not valid (expected str matching regex"),
        (["carol", "--max-queued", "many"], "--max-queued 'many' is not a whole number (e.g. --max-queued 5)."),
        (["carol", "--max-queued", "0"], "--max-queued '0' is not valid (expected int >= 1)."),
        (["carol", "--rate", "10/hour"], "--rate '10/hour' is not N/min or N (e.g. --rate 10/min)."),
        (["carol", "--upload-quota", "lots"], "--upload-quota 'lots' is not a size: give bytes, or a number with KB"),
        (["carol", "--priority", "101"], "--priority '101' is not valid (expected int <= 100)."),
        (["carol", "--webhook", "ftp://hooks.example.com"], "--webhook 'ftp://hooks.example.com' is not valid (expected str matching regex"),
    ],
)
def test_a_key_that_cannot_be_made_is_one_sentence_and_touches_nothing(tmp_path: Path, args: list[str], sentence: str) -> None:
    assert_one_sentence(studio("keys", "create", *args, "--data-dir", str(tmp_path / "data")), sentence)
    assert not (tmp_path / "data").exists()  # refused before the database is opened


@pytest.mark.parametrize(
    ("action", "flags"),
    [
        ("create", {"--admin", "--max-queued", "--rate", "--max-gpu-minutes-per-day", "--upload-quota", "--priority", "--webhook"}),
        ("list", set()),
        ("revoke", set()),
    ],
)
def test_help_lists_the_flags_of_each_action(action: str, flags: set[str]) -> None:
    result = studio("keys", action, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: studio keys {action} ")
    assert set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) == {"--help", "--data-dir", "--database-url", *flags}
