// samefringe.cc — the "same fringe" problem: do two binary trees hold the same
// leaves in the same order, whatever their shapes? Walk both at once with two
// pull iterators and stop at the first difference.
//
// Run: build/examples/samefringe
//
// Each walk is an ordinary recursive function that yields leaves; Pull lets us
// step the two recursions in lockstep, each in its own coroutine goroutine,
// which is what makes this problem the classic test of coroutines.
#include <cstdio>
#include <memory>
#include <string>

#include "go.h"
#include "iter.h"

struct tree {
    std::string leaf;  // a leaf if non-empty
    std::unique_ptr<tree> left, right;
};

static std::unique_ptr<tree> leaf(std::string s) {
    auto t = std::make_unique<tree>();
    t->leaf = std::move(s);
    return t;
}

static std::unique_ptr<tree> node(std::unique_ptr<tree> l, std::unique_ptr<tree> r) {
    auto t = std::make_unique<tree>();
    t->left = std::move(l);
    t->right = std::move(r);
    return t;
}

/// Yields the leaves of t left to right; false from yield stops the walk.
static bool walk(const tree* t, const std::function<bool(std::string)>& yield) {
    if (t == nullptr) return true;
    if (!t->leaf.empty()) return yield(t->leaf);
    return walk(t->left.get(), yield) && walk(t->right.get(), yield);
}

static iter::Seq<std::string> leaves(const tree* t) {
    return [t](const std::function<bool(std::string)>& yield) { walk(t, yield); };
}

static bool samefringe(const tree* a, const tree* b, int* compared) {
    auto [nexta, stopa] = iter::Pull(leaves(a));
    auto [nextb, stopb] = iter::Pull(leaves(b));
    *compared = 0;
    for (;;) {
        auto [la, oka] = nexta();
        auto [lb, okb] = nextb();
        if (!oka || !okb) return oka == okb;  // both ended: same
        ++*compared;
        if (la != lb) {
            stopa();
            stopb();
            return false;
        }
    }
}

void main_main() {
    // ((a b) c) and (a (b c)): different shapes, same fringe.
    auto t1 = node(node(leaf("a"), leaf("b")), leaf("c"));
    auto t2 = node(leaf("a"), node(leaf("b"), leaf("c")));
    // (a (x c)): differs at the second leaf.
    auto t3 = node(leaf("a"), node(leaf("x"), leaf("c")));
    int n;
    bool same = samefringe(t1.get(), t2.get(), &n);
    std::printf("((a b) c) vs (a (b c)): %s after %d leaves\n", same ? "same" : "different", n);
    same = samefringe(t1.get(), t3.get(), &n);
    std::printf("((a b) c) vs (a (x c)): %s after %d leaves\n", same ? "same" : "different", n);
    std::printf("goroutines left: %d\n", runtime::NumGoroutine());
}
