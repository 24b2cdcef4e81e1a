#!/usr/bin/env python3
"""Scores SnapReport predictions against gold files (shared/eval/README.md).

A suggestion matches a gold entry when its `clause_number` equals the gold
`section` or starts with that section followed by `.` (`4.18` matches `4.18`
and `4.18.1`, not `4.180`). Matching is not one-to-one: a suggestion may match
several gold entries and a gold entry several suggestions. Grades map to
polarity: conform = IFS `A`/`B`, BRC `CONFORM`, ISO `CONFORM`/`OFI`; every
other grade is nonconform, except `NA`, which has no polarity.

A gold entry is matched when any suggestion matches it, `NA` included; it has
the right polarity when at least one of its matching, non-`NA` suggestions
agrees with it (so an entry matched only by `NA` suggestions counts as matched
with the wrong polarity). Reported, overall, per standard and per language:
section recall (matched gold entries / all gold entries), polarity accuracy
over matched entries, the mean number of suggestions per set, and the number
of unmatched suggestions (those matching no gold entry: the false positives
worth looking at).

    python3 bench/eval_snapreport.py --gold DIR --predictions DIR [--json] [--verbose]
    python3 bench/eval_snapreport.py --gold DIR --api http://127.0.0.1:8080 --key myqa_… [--save DIR]

With --api, every gold file's evidence is sent to the running service's
`POST /api/v1/snapreport/analyze` (with its standard as `standard_id` and its
language), so the same scorer measures whichever analysis provider the server
is configured with; a set whose request fails counts as zero suggestions.

A prediction file is `<id>.json` holding the API's `data` (or a whole
response envelope `{"success": true, "data": {...}}`): only `suggestions`
(`clause_number`, `grade`) is scored; a missing file counts as zero
suggestions. Standard library only.
"""

import argparse
import json
import os
import sys

NA = "NA"
# Grades meaning "conform", by the gold file's `standard`.
CONFORM_GRADES = {
    "IFS-FOOD": {"A", "B"},
    "BRCGS": {"CONFORM"},
    "ISO9001": {"CONFORM", "OFI"},
}
ANY_CONFORM = set().union(*CONFORM_GRADES.values())


def section_matches(section, clause_number):
    """`4.18` matches `4.18` and `4.18.1`, not `4.180`."""
    return clause_number == section or clause_number.startswith(section + ".")


def polarity(standard, grade):
    """`conform`, `nonconform`, or None for `NA`."""
    grade = grade.strip().upper()
    if grade == NA:
        return None
    return "conform" if grade in CONFORM_GRADES.get(standard, ANY_CONFORM) else "nonconform"


def score_set(gold_set, suggestions):
    """Per-entry outcome of one set, and the suggestions that matched nothing."""
    standard = gold_set["standard"]
    used = set()
    entries = []
    for item in gold_set["gold"]:
        section = item["section"].strip()
        hits = [i for i, s in enumerate(suggestions) if section_matches(section, s["clause_number"])]
        used.update(hits)
        grades = [suggestions[i]["grade"] for i in hits]
        entries.append({
            "section": section,
            "polarity": item["polarity"],
            "matched": bool(hits),
            "polarity_ok": any(polarity(standard, g) == item["polarity"] for g in grades),
            "grades": grades,
        })
    unmatched = [suggestions[i] for i in range(len(suggestions)) if i not in used]
    return entries, unmatched


class Counts:
    def __init__(self):
        self.sets = 0
        self.gold = 0
        self.matched = 0
        self.polarity_ok = 0
        self.suggestions = 0
        self.unmatched = 0

    def add(self, entries, n_suggestions, n_unmatched):
        self.sets += 1
        self.gold += len(entries)
        self.matched += sum(1 for e in entries if e["matched"])
        self.polarity_ok += sum(1 for e in entries if e["matched"] and e["polarity_ok"])
        self.suggestions += n_suggestions
        self.unmatched += n_unmatched

    def as_dict(self):
        return {
            "sets": self.sets, "gold": self.gold, "matched": self.matched,
            "polarity_ok": self.polarity_ok, "suggestions": self.suggestions,
            "unmatched_suggestions": self.unmatched,
            "section_recall": round(self.matched / self.gold, 4) if self.gold else 0.0,
            "polarity_accuracy": round(self.polarity_ok / self.matched, 4) if self.matched else 0.0,
            "mean_suggestions": round(self.suggestions / self.sets, 2) if self.sets else 0.0,
        }


def score(pairs):
    """pairs: list of (gold_set, suggestions). Returns a report dict."""
    overall = Counts()
    per_standard, per_language = {}, {}
    details = []
    for gold_set, suggestions in pairs:
        entries, unmatched = score_set(gold_set, suggestions)
        for counts in (overall,
                       per_standard.setdefault(gold_set["standard"], Counts()),
                       per_language.setdefault(gold_set.get("language", "?"), Counts())):
            counts.add(entries, len(suggestions), len(unmatched))
        details.append({
            "id": gold_set["id"],
            "standard": gold_set["standard"],
            "language": gold_set.get("language", "?"),
            "suggestions": len(suggestions),
            "gold": entries,
            "unmatched": [{"clause_number": s["clause_number"], "grade": s["grade"]} for s in unmatched],
        })
    return {
        "overall": overall.as_dict(),
        "per_standard": {k: v.as_dict() for k, v in sorted(per_standard.items())},
        "per_language": {k: v.as_dict() for k, v in sorted(per_language.items())},
        "sets": details,
    }


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def suggestions_of(prediction):
    data = prediction.get("data", prediction) if isinstance(prediction, dict) else {}
    if not isinstance(data, dict):
        return []
    return [{"clause_number": str(s.get("clause_number", "")).strip(), "grade": str(s.get("grade", ""))}
            for s in data.get("suggestions") or [] if isinstance(s, dict)]


def gold_sets(gold_dir):
    for name in sorted(os.listdir(gold_dir)):
        if name.endswith(".json"):
            yield load_json(os.path.join(gold_dir, name))


def load_pairs(gold_dir, prediction_dir):
    pairs = []
    for gold_set in gold_sets(gold_dir):
        path = os.path.join(prediction_dir, gold_set["id"] + ".json")
        if os.path.exists(path):
            suggestions = suggestions_of(load_json(path))
        else:
            print(f"warning: no prediction for {gold_set['id']} ({path})", file=sys.stderr)
            suggestions = []
        pairs.append((gold_set, suggestions))
    return pairs


def analyze_via_api(base_url, key, gold_set):
    """The service's analysis of one evidence set: the response's `data`, or
    None when the request failed (reported on stderr)."""
    import urllib.error
    import urllib.request
    body = json.dumps({
        "standard_id": gold_set["standard"],
        "language": gold_set["language"],
        "evidence": gold_set["evidence"],
    }).encode("utf-8")
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/snapreport/analyze",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response).get("data")
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        print(f"error: {gold_set['id']}: HTTP {e.code}: {text}", file=sys.stderr)
    except (urllib.error.URLError, TimeoutError, ValueError) as e:
        print(f"error: {gold_set['id']}: {e}", file=sys.stderr)
    return None


def api_pairs(gold_dir, base_url, key, save_dir=None):
    pairs = []
    for gold_set in gold_sets(gold_dir):
        data = analyze_via_api(base_url, key, gold_set)
        if data is not None and save_dir:
            os.makedirs(save_dir, exist_ok=True)
            with open(os.path.join(save_dir, gold_set["id"] + ".json"), "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
        pairs.append((gold_set, suggestions_of(data) if data is not None else []))
    return pairs


def print_report(report, verbose=False, out=sys.stdout):
    def row(name, d):
        print(f"{name:<16} {d['sets']:>4} {d['gold']:>5} {d['section_recall']:>7.3f}"
              f" {d['polarity_accuracy']:>9.3f} {d['mean_suggestions']:>9.2f}"
              f" {d['unmatched_suggestions']:>9}"
              f"   matched={d['matched']} polarity_ok={d['polarity_ok']}", file=out)

    for title, group in (("standard", report["per_standard"]), ("language", report["per_language"])):
        print(f"{title:<16} {'sets':>4} {'gold':>5} {'recall':>7} {'polarity':>9}"
              f" {'sugg/set':>9} {'unmatched':>9}", file=out)
        for name, d in group.items():
            row(name, d)
        print(file=out)
    print("-" * 80, file=out)
    row("overall", report["overall"])
    print(f"unmatched suggestions: {report['overall']['unmatched_suggestions']}", file=out)
    if verbose:
        for s in report["sets"]:
            print(f"\n== {s['id']} ({s['standard']}, {s['language']}): {s['suggestions']} suggestions", file=out)
            for e in s["gold"]:
                ok = ("yes" if e["polarity_ok"] else "NO") if e["matched"] else "-"
                print(f"  GOLD      {e['section']:<10} {e['polarity']:<10}"
                      f" matched={'yes' if e['matched'] else 'NO':<3} polarity_ok={ok:<3}"
                      f" grades={','.join(e['grades']) or '-'}", file=out)
            for u in s["unmatched"]:
                print(f"  UNMATCHED {u['clause_number']:<10} {u['grade']}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", required=True, help="directory of gold SnapReport files")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", help="directory of <id>.json predictions")
    source.add_argument("--api", help="base URL of a running MyQA server to analyse the gold evidence")
    parser.add_argument("--key", help="API key for --api (default: $MYQA_KEY)")
    parser.add_argument("--save", help="with --api: directory to keep the responses in")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="list every gold entry and the unmatched suggestions per set")
    args = parser.parse_args(argv)
    if args.api:
        key = args.key or os.environ.get("MYQA_KEY")
        if not key:
            parser.error("--api needs --key or MYQA_KEY")
        pairs = api_pairs(args.gold, args.api, key, args.save)
    else:
        pairs = load_pairs(args.gold, args.predictions)
    report = score(pairs)
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print_report(report, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
