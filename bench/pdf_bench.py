"""PDF text benchmark (not a test): CPU of `read_text` per PDF, and what the text yields.

    python bench/pdf_bench.py [--warc ...] [--sites ../shared/eval/sites] [--save before.json | --check before.json]

Every PDF of the recorded real site (WARC), of the shared evaluation sites and of tests/sites, cut to
the crawler's document cap (Settings.doc_bytes) as a scan downloads it, is read with `read_text`
in this process; per PDF it records the CPU seconds, the pages read, the scanned / truncated flags,
the error, the characters and the period mentions of the text (`dates.mentions`: the set of kind,
start, end and strength; the words as written may differ by a space). `--save` keeps that as JSON
(run it on the code before a change); `--check` compares a run with a saved one: CPU before/after,
and every PDF whose mentions, pages or flags changed.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.config import Settings  # noqa: E402
from crawler.dates import mentions  # noqa: E402
from crawler.documents import read_text, sniff  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
if not EVAL.exists():
    EVAL = Path("/work/shared/eval")
BIG = 1_000_000  # bytes from which a PDF is listed on its own


def warc_pdfs(pattern: str) -> Iterator[tuple[str, bytes]]:
    """(key, body) of every PDF answer recorded in the WARC files."""
    sys.path.insert(0, str(EVAL / "realsites"))
    import replay  # the evaluation's WARC reader (standard library only)

    for path in sorted(glob.glob(pattern)):
        seen: set[str] = set()
        for uri, status, _headers, body in replay.records(path):
            if status == 200 and uri not in seen and sniff(body[:1024]) == "pdf":
                seen.add(uri)
                yield f"warc:{uri}", body


def folder_pdfs(label: str, folder: Path) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of every *.pdf under a folder of sites."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() == ".pdf":
            yield f"{label}:{path.relative_to(folder)}", path.read_bytes()


def mention_set(text: str) -> list[str]:
    """The period mentions of a text, as sorted strings (kind, start, end, strength)."""
    return sorted({f"{m.kind} {m.start} {m.end} {m.strength}" for m in mentions(text)})


def measure(key: str, data: bytes, cap: int) -> dict:
    """Read one PDF as a scan would (cut to `cap` bytes): its CPU, flags and mentions."""
    cut = data[:cap]
    c0 = time.process_time()
    doc = read_text(cut, "application/pdf", key.split(":", 1)[1])
    cpu = time.process_time() - c0
    return {"key": key, "bytes": len(data), "read": len(cut), "cpu": round(cpu, 4), "pages": doc.pages,
            "scanned": doc.scanned, "truncated": doc.truncated, "error": doc.error, "chars": len(doc.text),
            "mentions": mention_set(doc.text), "head": doc.text[:160]}


def run(args: argparse.Namespace) -> list[dict]:
    cap = Settings().doc_bytes
    sources = [warc_pdfs(args.warc), folder_pdfs("sites", Path(args.sites)),
               folder_pdfs("tests", ROOT / "tests" / "sites")]
    results = []
    for source in sources:
        for key, data in source:
            results.append(measure(key, data, cap))
            if args.verbose:
                r = results[-1]
                print(f"{r['cpu']:7.3f}s {r['pages']:3d}p {r['chars']:7d}c {key}", flush=True)
    return results


def summary(results: list[dict], label: str) -> None:
    total = sum(r["cpu"] for r in results)
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(r["key"].split(":", 1)[0], []).append(r)
    print(f"{label}: {len(results)} PDFs, {total:.3f} s CPU in all")
    for name, rows in groups.items():
        print(f"  {name:6s} {len(rows):4d} PDFs {sum(r['cpu'] for r in rows):8.3f} s")
    for r in results:
        if r["bytes"] >= BIG:
            print(f"  big    {r['cpu']:8.3f} s {r['bytes'] / 1e6:.1f} MB {r['pages']} pages {r['key']}")


def compare(before: list[dict], after: list[dict]) -> int:
    """Print what changed; the number of PDFs that lost a mention."""
    old = {r["key"]: r for r in before}
    lost = 0
    cpu_b = sum(r["cpu"] for r in before)
    cpu_a = sum(r["cpu"] for r in after)
    print(f"CPU: {cpu_b:.3f} s before, {cpu_a:.3f} s after ({cpu_b / max(cpu_a, 1e-9):.1f}x)")
    for r in after:
        b = old.get(r["key"])
        if b is None:
            print(f"new PDF {r['key']}")
            continue
        if r["bytes"] >= BIG:
            print(f"  big {r['key']}: {b['cpu']:.3f} s -> {r['cpu']:.3f} s")
        gone = sorted(set(b["mentions"]) - set(r["mentions"]))
        came = sorted(set(r["mentions"]) - set(b["mentions"]))
        flags = [f for f in ("pages", "scanned", "truncated", "error") if b[f] != r[f]]
        if gone or came or flags:
            lost += bool(gone)
            print(f"{r['key']}  ({b['chars']} -> {r['chars']} chars)")
            for f in flags:
                print(f"    {f}: {b[f]!r} -> {r[f]!r}")
            for m in gone:
                print(f"    - {m}")
            for m in came:
                print(f"    + {m}")
    missing = set(old) - {r["key"] for r in after}
    for key in sorted(missing):
        print(f"PDF gone: {key}")
    print(f"{len(after)} PDFs, {lost} lost a mention")
    return lost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warc", default=str(EVAL / "realsites" / "warc" / "*.warc.gz"))
    ap.add_argument("--sites", default=str(EVAL / "sites"))
    ap.add_argument("--save", help="write the results as JSON")
    ap.add_argument("--check", help="compare with results saved by --save")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    results = run(args)
    summary(results, "now")
    if args.save:
        Path(args.save).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.check:
        before = json.loads(Path(args.check).read_text(encoding="utf-8"))
        summary(before, "saved")
        return 1 if compare(before, results) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
