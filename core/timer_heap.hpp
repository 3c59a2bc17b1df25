// core/timer_heap.hpp - a binary min-heap of intrusive timer nodes.
//
// Each node records its own index, so removing a timer (an operation that completed before its
// deadline, the common case) is O(log n) without searching. The vector keeps its capacity, so a
// loop in steady state never allocates for timers.
#pragma once

#include <cstdint>
#include <vector>

#include <zsock/detail/sched.hpp>

namespace zsock::core {

class timer_heap {
public:
    using node = detail::timer_node;

    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    node *top() const noexcept { return heap_.front(); }

    void push(node *n) noexcept {
        if (n->armed()) remove(n);
        try {
            heap_.push_back(n);
        } catch (...) {
            return; // out of memory: the timer never fires (its operation still completes)
        }
        n->index = static_cast<uint32_t>(heap_.size() - 1);
        up(n->index);
    }

    void remove(node *n) noexcept {
        if (!n->armed()) return;
        uint32_t i = n->index;
        n->index = UINT32_MAX;
        node *last = heap_.back();
        heap_.pop_back();
        if (last == n) return;
        heap_[i] = last;
        last->index = i;
        if (!up(i)) down(i);
    }

    node *pop() noexcept {
        node *n = heap_.front();
        remove(n);
        return n;
    }

private:
    bool less(uint32_t a, uint32_t b) const noexcept { return heap_[a]->deadline < heap_[b]->deadline; }
    void swap(uint32_t a, uint32_t b) noexcept {
        std::swap(heap_[a], heap_[b]);
        heap_[a]->index = a;
        heap_[b]->index = b;
    }
    bool up(uint32_t i) noexcept {
        bool moved = false;
        while (i > 0) {
            uint32_t p = (i - 1) / 2;
            if (!less(i, p)) break;
            swap(i, p);
            i = p;
            moved = true;
        }
        return moved;
    }
    void down(uint32_t i) noexcept {
        for (;;) {
            uint32_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < heap_.size() && less(l, m)) m = l;
            if (r < heap_.size() && less(r, m)) m = r;
            if (m == i) return;
            swap(i, m);
            i = m;
        }
    }

    std::vector<node *> heap_;
};

} // namespace zsock::core
