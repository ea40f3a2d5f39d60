#!/usr/bin/env python3
"""grade_class.py — grade a whole class's submissions of one lab.

    test/labs/grade_class.py --lab gogo SUBMISSIONS [--builddir build-grade] [--csv grades.csv]

SUBMISSIONS holds one directory per student with the lab's files in it
(lab gogo: asm_amd64.S; park: proc.cc and proc_runq.cc; ...: see
test/labs/<lab>/). One build directory serves the whole class: it is set up
once with -Dlab=<lab> -Dlab_dir=<builddir>/submission; for each student the
files are copied there, ninja rebuilds just them and relinks the test program
(no LTO: a few seconds), and grade.py runs the graded tests, each in its own
process. A submission that does not compile scores 0 (the compiler's output
is kept in <builddir>/grades/<student>.log). Results: one line per student,
<builddir>/grades/<student>.json, and a CSV.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
LAB_FILES = {  # as lab_files in runtime/meson.build
    "gogo": ["asm_amd64.S"], "mcall": ["asm_amd64.S"], "park": ["proc.cc", "proc_runq.cc"],
    "coro": ["coro.cc"], "chan": ["chan.cc"], "steal": ["proc_runq.cc"],
}


def prepare(builddir, lab):
    """Sets up (or switches) builddir to grade lab from builddir/submission."""
    sub = os.path.join(os.path.abspath(builddir), "submission")
    os.makedirs(sub, exist_ok=True)
    for name in LAB_FILES[lab]:
        if not os.path.exists(os.path.join(sub, name)):
            shutil.copyfile(os.path.join(HERE, lab, name), os.path.join(sub, name))
    opts = ["-Dlab=" + lab, "-Dlab_dir=" + sub, "-Ddocs=disabled"]
    if os.path.exists(os.path.join(builddir, "build.ninja")):
        cmd = ["meson", "configure", builddir] + opts
    else:
        cmd = ["meson", "setup", builddir, TOP] + opts
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return sub


def grade_files(builddir, lab, files, name, quiet=True):
    """Grades {file name: text} as lab's submission called name. Returns
    grade.py's JSON result, with "status" "graded" or "does not compile"."""
    sub = os.path.join(os.path.abspath(builddir), "submission")
    outdir = os.path.join(builddir, "grades")
    os.makedirs(outdir, exist_ok=True)
    for fname in LAB_FILES[lab]:
        with open(os.path.join(sub, fname), "w") as f:
            f.write(files[fname])
    log = os.path.join(outdir, name + ".log")
    b = subprocess.run(["ninja", "-C", builddir, "test/labs/lab_student"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "w") as f:
        f.write(b.stdout)
    if b.returncode != 0:
        total = 0
        with open(os.path.join(HERE, lab, "rubric.txt")) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    total += int(line.split()[0])
        return {"lab": lab, "score": 0, "max": total, "status": "does not compile", "log": log}
    out = os.path.join(outdir, name + ".json")
    srcs = [os.path.join(sub, f) for f in LAB_FILES[lab]]
    g = subprocess.run([sys.executable, os.path.join(HERE, "grade.py"), "--lab", lab,
                        "--bin", os.path.join(builddir, "test/labs/lab_student"),
                        "--json", out] + (["--quiet"] if quiet else []) + ["--src"] + srcs,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "a") as f:
        f.write(g.stdout)
    with open(out) as f:
        r = json.load(f)
    r["status"] = "rejected (shortcut)" if r["shortcuts"] else "graded"
    r["log"] = log
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", required=True, choices=sorted(LAB_FILES))
    ap.add_argument("--builddir", default="build-grade")
    ap.add_argument("--csv", default=None)
    ap.add_argument("submissions")
    args = ap.parse_args()
    prepare(args.builddir, args.lab)
    rows = []
    for student in sorted(os.listdir(args.submissions)):
        d = os.path.join(args.submissions, student)
        if not os.path.isdir(d):
            continue
        missing = [f for f in LAB_FILES[args.lab] if not os.path.exists(os.path.join(d, f))]
        if missing:
            rows.append((student, 0, None, "missing " + " ".join(missing)))
            print("%-20s   0      missing %s" % (student, " ".join(missing)))
            continue
        files = {f: open(os.path.join(d, f), errors="replace").read() for f in LAB_FILES[args.lab]}
        r = grade_files(args.builddir, args.lab, files, student)
        rows.append((student, r["score"], r["max"], r["status"]))
        print("%-20s %3d/%-3d  %s" % (student, r["score"], r["max"], r["status"]))
    path = args.csv or os.path.join(args.builddir, "grades", "grades-%s.csv" % args.lab)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max", "status"])
        w.writerows(rows)
    print("wrote " + path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
