"""Writes docs/automod-quality.md: the shipped rules against the frozen corpora, per rule.

Run: ``.venv/bin/python bench/automod_report.py``. The figures are the ones
tests/comments/test_corpora.py holds the rules to; the analyser's memory and the cost per
comment are measured here too.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from polls_site.comments.automod.morph import analyzer
from polls_site.comments.automod.quality import measure
from polls_site.comments.automod.rules import Rules

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def _load(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[-1] for line in lines if line.strip()]


def main() -> None:
    """Measure and write the report."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    analyzer()
    load_seconds = time.perf_counter() - started
    analyser_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    obscene, innocent = _load("obscene.txt"), _load("innocent.txt")
    rules = Rules.build()
    started = time.perf_counter()
    quality = measure(rules, obscene, innocent)
    cold = (time.perf_counter() - started) / (len(obscene) + len(innocent))
    started = time.perf_counter()
    measure(rules, obscene, innocent)
    warm = (time.perf_counter() - started) / (len(obscene) + len(innocent))
    lines = [
        "# Auto-moderator quality (written by `bench/automod_report.py`)",
        "",
        f"Corpora: {quality.obscene} obscene texts, {quality.innocent} innocent sentences "
        "(`tests/data/`, frozen; see its README).",
        "",
        f"- obscene not published: **{quality.blocked_share:.2%}** (target at least 99 %)",
        f"- innocent held (review or reject): **{quality.held_share:.2%}** (target at most 0.5 %)",
        "",
        "| rule | fired on obscene | fired on innocent | precision | recall |",
        "|---|---:|---:|---:|---:|",
    ]
    for rule, hits, false, precision, recall in quality.per_rule():
        lines.append(f"| {rule} | {hits} | {false} | {precision:.1%} | {recall:.1%} |")
    lines += [
        "",
        "Precision: of the texts a rule fired on, the share from the obscene set; recall: the",
        "share of the obscene set it fired on (a text may fire several rules).",
        "",
        "Obscene texts published:",
        "",
        *[f"- `{text}`" for text in quality.obscene_published],
        "",
        "Innocent texts held:",
        "",
        *[f"- `{text}`" for text in quality.innocent_held],
        "",
        "## Cost",
        "",
        f"- analyser load: {load_seconds:.2f} s, {analyser_mb:.0f} MB more peak memory (RSS)",
        f"- per text (one short comment), first pass: {cold * 1e3:.2f} ms; memoised: "
        f"{warm * 1e3:.2f} ms",
        "",
    ]
    (ROOT / "docs" / "automod-quality.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
