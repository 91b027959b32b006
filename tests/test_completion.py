"""Shell completion: the script copart installs, run by bash's own completion machinery.

bash calls the completion function with COMP_WORDS/COMP_CWORD set, exactly as it does at a
prompt when Tab is pressed; the function runs the real `copart` found on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shell_env(alice, tmp_path):
    """alice's environment with a `copart` command on PATH (this checkout's code)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "copart"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} -m copart_cli "$@"\n')
    exe.chmod(0o755)
    return {**alice.env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def completions(env: dict, cwd: Path, line: str, source: str = "source <(copart --show-completion bash)") -> list[str]:
    """What Tab offers after `line` (a trailing space: a new word), through bash's completion function."""
    script = f"""{source}
words=({line})
[[ "{line}" == *" " ]] && words+=("")
COMP_WORDS=("${{words[@]}}"); COMP_CWORD=$(( ${{#words[@]}} - 1 )); COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}
complete -p copart >/dev/null || exit 9
$(complete -p copart | sed -E 's/.* -F ([^ ]+) .*/\\1/') copart
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


def test_tab_completes_commands_options_ids_tags_topics_members_and_remotes(alice, sample, shell_env, world):
    alice.git("remote", "add", "origin", str(world.bare()), cwd=sample)
    assert completions(shell_env, sample, "copart sh") == ["show"]
    assert "--kind" in completions(shell_env, sample, "copart list --k")
    assert completions(shell_env, sample, "copart new st") == ["story"]
    assert completions(shell_env, sample, "copart show pricing-a") == ["pricing-a-first-workshop"]
    assert completions(shell_env, sample, "copart edit cost") == ["costing-checklist-for-a-workshop"]
    assert completions(shell_env, sample, "copart list --tag less") == ["lesson"]
    assert completions(shell_env, sample, "copart search x --topic cash") == ["cash-flow"]
    assert completions(shell_env, sample, "copart list --author jf") == ["jfawcett"]
    assert completions(shell_env, sample, "copart who --member ap") == ["apatel"]
    assert completions(shell_env, sample, "copart answer is-a") == ["is-a-chair-renting-stylist-really-self-employed"]
    assert completions(shell_env, sample, "copart sync --remote ") == ["origin"]
    assert completions(shell_env, sample, "copart config set rev") == ["review"]
    assert completions(shell_env, sample, "copart config set review ") == ["coordinators", "open"]
    elsewhere = sample.parent  # not in a repertoire: -R on the line says which
    assert completions(shell_env, elsewhere, f"copart -R {sample} show pricing-a") == ["pricing-a-first-workshop"]
    assert completions(shell_env, elsewhere, f"copart show -R {sample} pricing-a") == ["pricing-a-first-workshop"]
    assert completions(shell_env, elsewhere, "copart show pricing-a") == []  # nothing to offer, no error


def test_install_completion_bash_sets_up_new_shells(alice, shell_env, sample):
    r = subprocess.run(["copart", "--install-completion", "bash"], env=shell_env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    script = alice.home / ".bash_completions/copart.sh"
    assert f"bash completion installed in {script}" in r.stdout
    assert f"source '{script}'" in (alice.home / ".bashrc").read_text()
    # a new shell reads ~/.bashrc: Tab then completes
    assert completions(shell_env, sample, "copart sh", source=f"source {alice.home}/.bashrc") == ["show"]


@pytest.mark.parametrize("shell, where", [("zsh", ".zfunc/_copart"), ("fish", ".config/fish/completions/copart.fish")])
def test_install_completion_for_zsh_and_fish_writes_their_scripts(alice, shell_env, shell, where):
    r = subprocess.run(["copart", "--install-completion", shell], env=shell_env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    text = (alice.home / where).read_text()
    assert "_COPART_COMPLETE=complete_" + shell in text


def test_completing_reads_no_index_and_loads_no_whoosh(alice, sample, shell_env):
    env = {**shell_env, "_COPART_COMPLETE": "complete_bash", "COMP_WORDS": "copart list --tag l", "COMP_CWORD": "3"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "copart_cli"], cwd=sample, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "lesson" in proc.stdout.split()
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert not loaded & {"whoosh", "jinja2", "markdown_it", "nh3"}
    assert not (sample / ".git/copart/index").exists()


def test_tab_offers_no_tag_the_shell_would_run_split_or_expand(alice, sample, shell_env):
    # a partner's story carries tags made to break the prompt: a newline, an escape, a glob, a $( )
    (sample / "stories" / "odd-tags.md").write_text(
        '---\ntitle: Odd tags\ntype: story\nauthor: apatel\ndate: 2026-01-05\n'
        'tags: ["pricey\\nrm -rf", "price\\e[2J", "pric*", "price$(touch pwned)", pricelist]\n---\nText.\n')
    (sample / "pricing.md").write_text("a file a glob would find\n")
    assert completions(shell_env, sample, "copart list --tag pric") == ["pricelist"]
    assert not (sample / "pwned").exists()
