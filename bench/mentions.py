"""Precision and recall of the actors found named in resources (issue 22 item 3), on
the beta.gouv.fr startup fiches of ``shared/data/resources`` (tests and demo only: the
fiches are CC BY-NC-SA, so only the labels ship, in ``bench/data``, never the texts).

Known actors: the 143 organisations of the same copy (name and acronym; the same
organisation written twice, e.g. Anah, counted once). The labelled sample: every
candidate mention that a deliberately loose finder proposes in the fiches of a seeded
sample (full names, close names down to a rapidfuzz ratio of 80, acronyms in any case,
inside web and e-mail addresses too), each read in its context and labelled by hand
``1`` (the text names this organisation) or ``0`` (it does not: another meaning, a word
of an address, a different organisation). Recall is measured against the true mentions
of that pool (pooled recall: a mention that even the loose finder misses is not
counted). ``--pool`` writes the candidates to label; without it, the labels are read and
:class:`maillage.io.resources.mentions.MentionFinder` is scored against them.

    PYTHONPATH=src python bench/mentions.py [--pool FILE]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

from rapidfuzz import fuzz

from maillage.io.resources import read_path
from maillage.io.resources.documents import front_matter
from maillage.io.resources.mentions import Known, MentionFinder
from maillage.model.text import fold

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared/data/resources/betagouv-startups"
LABELS = HERE / "data" / "mentions-betagouv-labels.csv"
FICHES = 90
SEED = 22


def organisations() -> list[Known]:
    known: list[Known] = []
    seen: set[str] = set()
    for path in sorted((SHARED / "organisations").glob("*.md")):
        meta, _ = front_matter(path.read_text(encoding="utf-8"), str(path))
        name = str(meta.get("name") or "").strip()
        acronym = str(meta.get("acronym") or "").strip() or None
        keys = {fold(name), fold(acronym or "")} - {""}
        if not name or keys & seen:
            continue
        seen |= keys
        known.append(Known(len(known) + 1, name, acronym))
    return known


def fiches() -> list[tuple[str, str]]:
    records = list(read_path(SHARED / "startups"))
    rng = random.Random(SEED)
    chosen = rng.sample(records, FICHES)
    return [(r.source_ref or "", "\n".join(filter(None, [r.title, r.summary, r.body])))
            for r in chosen]  # fmt: skip


def loose(known: list[Known], text: str) -> list[tuple[int, int, int, str]]:
    """Candidates of the loose finder: (actor id, start, end, how)."""
    found = []
    words = [(m.start(), m.end(), fold(m[0])) for m in re.finditer(r"\w+", text)]
    folded = [w[2] for w in words]
    for k in known:
        name = fold(k.name).split()
        n = len(name)
        for i in range(len(words) - n + 1):
            if folded[i][:2] != name[0][:2]:
                continue
            if fuzz.ratio(" ".join(folded[i : i + n]), " ".join(name)) >= 80:
                found.append((k.actor_id, words[i][0], words[i + n - 1][1], "name"))
        if k.acronym and len(k.acronym) >= 2:
            pattern = r"(?<![\w])" + re.escape(k.acronym) + r"(?![\w])"
            for m in re.finditer(pattern, text, re.IGNORECASE):
                found.append((k.actor_id, m.start(), m.end(), "acronym"))
    found.sort(key=lambda f: (f[1], -(f[2] - f[1])))
    kept: list[tuple[int, int, int, str]] = []
    for f in found:  # one candidate per place: the longest
        if kept and f[1] < kept[-1][2] and f[0] == kept[-1][0]:
            continue
        kept.append(f)
    return kept


def write_pool(path: Path) -> None:
    known = organisations()
    names = {k.actor_id: f"{k.name} ({k.acronym or '-'})" for k in known}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["fiche", "actor", "organisation", "start", "end", "surface", "context",
                         "label"])  # fmt: skip
        for slug, text in fiches():
            for actor_id, start, end, _ in loose(known, text):
                context = text[max(0, start - 60) : end + 60].replace("\n", " ")
                writer.writerow([slug, actor_id, names[actor_id], start, end, text[start:end],
                                 context, ""])  # fmt: skip


def evaluate() -> None:
    known = organisations()
    finder = MentionFinder(known)
    texts = dict(fiches())
    pool: list[tuple[str, int, int, int, bool]] = []
    with LABELS.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            pool.append((row["fiche"], int(row["actor"]), int(row["start"]), int(row["end"]),
                         row["label"] == "1"))  # fmt: skip
    found = [(slug, m.actor_id, m.start, m.end) for slug, text in texts.items()
             for m in finder.find(text)]  # fmt: skip

    def overlaps(a: tuple[str, int, int, int], b: tuple[str, int, int, int, bool]) -> bool:
        return a[0] == b[0] and a[1] == b[1] and a[2] < b[3] and b[2] < a[3]

    # a found mention is true when it overlaps a true labelled one of the same actor
    # (the loose finder may cut a name differently); one outside the pool is false
    true_found = [f for f in found if any(overlaps(f, p) for p in pool if p[4])]
    outside = [f for f in found if not any(overlaps(f, p) for p in pool)]
    truth = [p for p in pool if p[4]]
    recalled = [p for p in truth if any(overlaps(f, p) for f in found)]
    precision = len(true_found) / len(found) if found else 0.0
    recall = len(recalled) / len(truth) if truth else 0.0
    print(
        f"labelled sample: {len(pool)} candidate mentions in {len(texts)} fiches, "
        f"{len(truth)} true, {len(pool) - len(truth)} false"
    )
    print(
        f"finder: {len(found)} mentions, {len(true_found)} true; precision {precision:.3f}, "
        f"recall {recall:.3f} (targets 0.9 and 0.8)"
    )
    if outside:
        print(f"  {len(outside)} found outside the labelled pool (counted as false)")
    for f in [f for f in found if f not in true_found][:10]:
        print("  false:", f, texts[f[0]][f[2] : f[3] + 30].replace("\n", " "))
    for p in [p for p in truth if p not in recalled][:15]:
        print("  missed:", p[:4], texts[p[0]][p[2] : p[3] + 30].replace("\n", " "))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pool", type=Path, help="write the candidates to label here")
    args = parser.parse_args()
    if args.pool:
        write_pool(args.pool)
    else:
        evaluate()


if __name__ == "__main__":
    main()
