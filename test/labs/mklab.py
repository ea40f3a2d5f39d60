#!/usr/bin/env python3
"""mklab.py — make each lab's student files from the reference runtime.

The holes are listed in test/labs/holes.txt (the format is described at its
top). For every lab, each reference file that has holes for that lab is copied
to test/labs/<lab>/<basename> with each hole's lines replaced by

    // LAB(<lab>) BEGIN <title>
    <the skeleton text: a TODO and a body that compiles but is wrong>
    // LAB(<lab>) END

The reference files carry no markers (the docs quote them, and gdb steps
through them line by line); the anchors in holes.txt find the holes instead,
and this script fails loudly if an anchor no longer matches exactly once.

    mklab.py                 regenerate test/labs/<lab>/ for every lab
    mklab.py --check         exit 1 (with a diff) if a committed file differs
    mklab.py --list          print "lab file" for every student file
"""
import argparse
import difflib
import os
import sys

LABS = ["gogo", "mcall", "park", "coro", "chan", "steal"]
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


class Hole:
    def __init__(self, lab, path, lineno):
        self.lab, self.path, self.lineno = lab, path, lineno
        self.title, self.within, self.start, self.end, self.body = "", None, [], [], []

    def where(self):
        return "holes.txt:%d (%s %s)" % (self.lineno, self.lab, self.path)


def parse(text):
    """Blocks: '@@ <lab> <path>', then 'title:', 'within:' (optional), one or
    more 'from:' lines, one or more 'to:' lines, a '--' line, and the skeleton
    text up to the next '@@' line. Lines starting with '##' are comments."""
    holes, cur, inbody = [], None, False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("##"):
            continue
        if line.startswith("@@ "):
            _, lab, path = line.split()
            if lab not in LABS:
                sys.exit("holes.txt:%d: unknown lab %s" % (n, lab))
            cur, inbody = Hole(lab, path, n), False
            holes.append(cur)
        elif cur is None:
            if line.strip():
                sys.exit("holes.txt:%d: text outside a block" % n)
        elif inbody:
            cur.body.append(line)
        elif line == "--":
            inbody = True
        elif line.startswith("title: "):
            cur.title = line[len("title: "):]
        elif line.startswith("within: "):
            cur.within = line[len("within: "):].strip()
        elif line.startswith("from: "):
            cur.start.append(line[len("from: "):].strip())
        elif line.startswith("to: "):
            cur.end.append(line[len("to: "):].strip())
        elif line.strip():
            sys.exit("holes.txt:%d: unexpected line %r" % (n, line))
    for h in holes:
        while h.body and not h.body[-1].strip():
            h.body.pop()
        if not h.start or not h.end or not h.body:
            sys.exit(h.where() + ": needs from:, to: and a skeleton")
    return holes


def find(lines, seq, pos, hole, what):
    """Index of the first run of lines equal (stripped) to seq at or after pos."""
    for i in range(pos, len(lines) - len(seq) + 1):
        if all(lines[i + k].strip() == seq[k] for k in range(len(seq))):
            return i
    sys.exit("%s: %s anchor %r not found" % (hole.where(), what, seq[0]))


def apply(lines, holes):
    """Returns lines with every hole replaced. Holes must not overlap."""
    spans = []
    for h in holes:
        pos = 0
        if h.within:
            pos = find(lines, [h.within], 0, h, "within") + 1
        elif sum(1 for l in lines if l.strip() == h.start[0]) != 1:
            sys.exit("%s: from anchor %r is not unique: add within:" % (h.where(), h.start[0]))
        a = find(lines, h.start, pos, h, "from")
        b = find(lines, h.end, a, h, "to") + len(h.end)
        spans.append((a, b, h))
    spans.sort(key=lambda s: s[0])
    for (a1, b1, h1), (a2, _, h2) in zip(spans, spans[1:]):
        if a2 < b1:
            sys.exit("%s overlaps %s" % (h1.where(), h2.where()))
    out = list(lines)
    for a, b, h in reversed(spans):
        indent = lines[a][:len(lines[a]) - len(lines[a].lstrip())]
        marker = indent + "// LAB(%s) " % h.lab
        out[a:b] = ([marker + "BEGIN " + h.title] + h.body + [marker + "END"])
    return out


def generate():
    """{(lab, path): text} for every student file."""
    with open(os.path.join(HERE, "holes.txt")) as f:
        holes = parse(f.read())
    files = {}
    for lab in LABS:
        paths = []
        for h in holes:
            if h.lab == lab and h.path not in paths:
                paths.append(h.path)
        for path in paths:
            with open(os.path.join(TOP, path)) as f:
                lines = f.read().split("\n")
            mine = [h for h in holes if h.lab == lab and h.path == path]
            files[(lab, path)] = "\n".join(apply(lines, mine))
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    files = generate()
    bad = 0
    for (lab, path), text in files.items():
        dst = os.path.join(HERE, lab, os.path.basename(path))
        if args.list:
            print(lab, path)
        elif args.check:
            old = open(dst).read() if os.path.exists(dst) else ""
            if old != text:
                bad += 1
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True), dst + " (committed)",
                    dst + " (from the reference)"))
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w") as f:
                f.write(text)
    if args.check:
        if bad:
            print("mklab: %d student file(s) differ from the reference with its holes: "
                  "run test/labs/mklab.py and commit" % bad)
            return 1
        print("mklab: %d student files match the reference with its holes" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
