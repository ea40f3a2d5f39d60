#!/usr/bin/env python3
"""handout.py — a student's tarball of one lab, without its answers.

    test/labs/handout.py gogo                 writes gort-lab-gogo.tar.gz
    test/labs/handout.py park -o out.tar.gz [--rev HEAD]

The tarball is the tree at --rev (git archive: no history, so no reference
in old commits) with, for the lab's files, the student's version (the
reference with the lab's holes) in place of the reference, both where the
runtime has it and under test/labs/<lab>/. The other labs' student files are
left out: the later labs' contain this lab's answers, as the labs build on
each other; so are holes.txt, mklab.py, mutants.py and this script (ANSWERS). The earlier labs' answers stay in the runtime (a lab 3 student
gets working gogo and mcall). The student builds with -Dlab=<lab>; the file
test/labs/HANDOUT tells meson that the labs suite has no reference to check.
"""
import argparse
import io
import os
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import mklab  # noqa: E402


# Files that give answers away: the holes' anchors (a hole's first and last
# lines), the script that uses them, the mutants (the reference, line by
# line), and this script (it needs mklab.py).
ANSWERS = {"test/labs/holes.txt", "test/labs/mklab.py", "test/labs/mutants.py",
           "test/labs/handout.py"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lab", choices=mklab.LABS)
    ap.add_argument("-o", "--output")
    ap.add_argument("--rev", default="HEAD")
    args = ap.parse_args()
    out = args.output or "gort-lab-%s.tar.gz" % args.lab
    prefix = "gort-lab-%s/" % args.lab
    student = {path: text for (lab, path), text in mklab.generate().items() if lab == args.lab}
    names = {os.path.basename(p) for p in student}
    tree = subprocess.run(["git", "-C", TOP, "archive", "--format=tar", args.rev],
                          check=True, stdout=subprocess.PIPE).stdout
    src = tarfile.open(fileobj=io.BytesIO(tree))
    with tarfile.open(out, "w:gz") as dst:
        for info in src.getmembers():
            path = info.name
            parts = path.split("/")
            if (len(parts) == 3 and parts[0] == "test" and parts[1] == "labs"
                    and parts[2] in mklab.LABS):
                continue  # a lab's directory: rebuilt below for this lab only
            if (len(parts) == 4 and parts[:2] == ["test", "labs"] and parts[2] in mklab.LABS
                    and (parts[2] != args.lab or parts[3] in names) and parts[3] != "rubric.txt"):
                continue  # other labs' student files; this lab's come from mklab
            if path in ANSWERS:
                continue
            data = src.extractfile(info).read() if info.isfile() else None
            if path in student:
                data = student[path].encode()
            info.name = prefix + path
            if data is not None:
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data))
            else:
                dst.addfile(info)
        marker = ("lab %s handed out: -Dlab=%s builds it; the reference is not here\n"
                  % (args.lab, args.lab)).encode()
        info = tarfile.TarInfo(prefix + "test/labs/HANDOUT")
        info.size, info.mode = len(marker), 0o644
        dst.addfile(info, io.BytesIO(marker))
        for path, text in student.items():
            data = text.encode()
            info = tarfile.TarInfo(prefix + "test/labs/%s/%s" % (args.lab, os.path.basename(path)))
            info.size, info.mode = len(data), 0o644
            dst.addfile(info, io.BytesIO(data))
    print("wrote %s: lab %s, student files %s" % (out, args.lab, ", ".join(sorted(student))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
