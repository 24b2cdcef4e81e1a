#!/usr/bin/env python3
"""Scores CaptureIQ predictions against gold files (shared/eval/README.md).

An observation matches a gold item when it has the same category and contains
at least 60 % of the gold text's word tokens (lower case, punctuation turned
into spaces, split on whitespace). Matching is one-to-one and greedy: each gold
item takes the best still-unused observation of its category, if that one
reaches 60 %. Precision, recall and F1 are micro-averaged over all files:
overall, per category, and with general_note left out.

    python3 bench/eval_captureiq.py --gold DIR --predictions DIR [--json] [--verbose]
    python3 bench/eval_captureiq.py --gold DIR --api http://127.0.0.1:8080 --key myqa_… [--save DIR]

With --api, every gold file's transcript is sent to the running service's
`POST /api/v1/captureiq/analyze` (with its session_type and language), so the
same scorer measures whichever analysis provider the server is configured
with.

A prediction file is `<id>.json` holding the API's `data` (or a whole
response envelope `{"success": true, "data": {...}}`): only `observations`
(`content`, `category`) is scored. Standard library only.
"""

import argparse
import json
import os
import sys
import unicodedata

THRESHOLD = 0.6
GENERAL_NOTE = "general_note"
CATEGORIES = [
    "nonconformity",
    "opportunity_for_improvement",
    "positive_finding",
    "action_item",
    "decision",
    "key_point",
    "risk",
    "question",
    "general_note",
]


def tokens(text):
    """Lower case, punctuation to spaces, split on whitespace."""
    chars = []
    for c in text.lower():
        chars.append(" " if unicodedata.category(c).startswith("P") else c)
    return "".join(chars).split()


def coverage(gold_text, observation_text):
    """Share of the gold text's tokens that occur in the observation."""
    gold = tokens(gold_text)
    if not gold:
        return 0.0
    present = set(tokens(observation_text))
    return sum(1 for t in gold if t in present) / len(gold)


def match_file(gold_items, observations):
    """One-to-one greedy matching. Returns (matches, unmatched_gold, unmatched_obs)
    as lists of (gold_index, observation_index, coverage), gold indices and
    observation indices."""
    used = set()
    matches = []
    missed = []
    for g, item in enumerate(gold_items):
        best, best_cov = None, 0.0
        for o, obs in enumerate(observations):
            if o in used or obs.get("category") != item["category"]:
                continue
            cov = coverage(item["text"], obs.get("content", ""))
            if cov > best_cov:
                best, best_cov = o, cov
        if best is not None and best_cov >= THRESHOLD:
            used.add(best)
            matches.append((g, best, best_cov))
        else:
            missed.append(g)
    spurious = [o for o in range(len(observations)) if o not in used]
    return matches, missed, spurious


class Counts:
    def __init__(self):
        self.tp = 0
        self.gold = 0
        self.predicted = 0

    def add(self, tp, gold, predicted):
        self.tp += tp
        self.gold += gold
        self.predicted += predicted

    def prf(self):
        p = self.tp / self.predicted if self.predicted else 0.0
        r = self.tp / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    def as_dict(self):
        p, r, f = self.prf()
        return {"tp": self.tp, "gold": self.gold, "predicted": self.predicted,
                "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score(pairs):
    """pairs: list of (id, gold_items, observations). Returns a report dict."""
    overall, without_note = Counts(), Counts()
    per_category = {c: Counts() for c in CATEGORIES}
    details = []
    for file_id, gold_items, observations in pairs:
        matches, missed, spurious = match_file(gold_items, observations)
        matched_obs = {o for _, o, _ in matches}
        for c in CATEGORIES:
            tp = sum(1 for g, _, _ in matches if gold_items[g]["category"] == c)
            n_gold = sum(1 for item in gold_items if item["category"] == c)
            n_pred = sum(1 for obs in observations if obs.get("category") == c)
            per_category[c].add(tp, n_gold, n_pred)
            if c != GENERAL_NOTE:
                without_note.add(tp, n_gold, n_pred)
            overall.add(tp, n_gold, n_pred)
        details.append({
            "id": file_id,
            "matched": [(gold_items[g]["category"], round(cov, 2)) for g, _, cov in matches],
            "missed": [gold_items[g] for g in missed],
            "spurious": [observations[o] for o in spurious if o not in matched_obs],
        })
    return {
        "overall": overall.as_dict(),
        "without_general_note": without_note.as_dict(),
        "per_category": {c: k.as_dict() for c, k in per_category.items() if k.gold or k.predicted},
        "files": details,
    }


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def observations_of(prediction):
    data = prediction.get("data", prediction) if isinstance(prediction, dict) else {}
    return [o for o in data.get("observations", []) if isinstance(o, dict)]


def load_pairs(gold_dir, prediction_dir):
    pairs = []
    for name in sorted(os.listdir(gold_dir)):
        if not name.endswith(".json"):
            continue
        gold = load_json(os.path.join(gold_dir, name))
        path = os.path.join(prediction_dir, name)
        if os.path.exists(path):
            observations = observations_of(load_json(path))
        else:
            print(f"warning: no prediction for {gold['id']} ({path})", file=sys.stderr)
            observations = []
        pairs.append((gold["id"], gold["gold"], observations))
    return pairs


def analyze_via_api(base_url, key, session):
    """The service's analysis of one session: the response's `data`."""
    import urllib.request
    body = json.dumps({
        "transcript": session["transcript"],
        "session_type": session["session_type"],
        "language": session.get("language", "auto"),
    }).encode("utf-8")
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/captureiq/analyze",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["data"]


def api_pairs(gold_dir, base_url, key, save_dir=None):
    pairs = []
    for name in sorted(os.listdir(gold_dir)):
        if not name.endswith(".json"):
            continue
        session = load_json(os.path.join(gold_dir, name))
        data = analyze_via_api(base_url, key, session)
        if save_dir:
            os.makedirs(save_dir, exist_ok=True)
            with open(os.path.join(save_dir, name), "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
        pairs.append((session["id"], session["gold"], observations_of(data)))
    return pairs


def print_report(report, verbose=False, out=sys.stdout):
    def row(name, d):
        print(f"{name:<30} {d['precision']:>6.3f} {d['recall']:>6.3f} {d['f1']:>6.3f}"
              f"   tp={d['tp']:<3} gold={d['gold']:<3} pred={d['predicted']}", file=out)

    print(f"{'category':<30} {'P':>6} {'R':>6} {'F1':>6}", file=out)
    for c, d in report["per_category"].items():
        row(c, d)
    print("-" * 72, file=out)
    row("micro (all)", report["overall"])
    row("micro (without general_note)", report["without_general_note"])
    if verbose:
        for f in report["files"]:
            print(f"\n== {f['id']}", file=out)
            for item in f["missed"]:
                print(f"  MISSED   [{item['category']}] {item['text']}", file=out)
            for obs in f["spurious"]:
                print(f"  SPURIOUS [{obs.get('category')}] {obs.get('content')}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", required=True, help="directory of gold CaptureIQ files")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", help="directory of <id>.json predictions")
    source.add_argument("--api", help="base URL of a running MyQA server to analyse the gold transcripts")
    parser.add_argument("--key", help="API key for --api (default: $MYQA_KEY)")
    parser.add_argument("--save", help="with --api: directory to keep the responses in")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed and spurious items")
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
