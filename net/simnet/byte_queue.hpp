// net/simnet/byte_queue.hpp - the receive buffer of a stream: a ring of bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <sys/uio.h>
#include <vector>

namespace zsock::simnet {

class byte_queue {
public:
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    /// Appends up to n bytes of src; returns how many (the buffer grows on demand, the caller
    /// bounds n by the receive window).
    size_t push(const char *src, size_t n) {
        if (size_ + n > ring_.size()) grow(size_ + n);
        size_t tail = (head_ + size_) % ring_.size();
        size_t first = std::min(n, ring_.size() - tail);
        std::memcpy(ring_.data() + tail, src, first);
        std::memcpy(ring_.data(), src + first, n - first);
        size_ += n;
        return n;
    }

    /// Copies up to n bytes into dst, from `skip` bytes past the head; does not consume.
    size_t peek(char *dst, size_t n, size_t skip) const noexcept {
        if (skip >= size_) return 0;
        n = std::min(n, size_ - skip);
        size_t start = (head_ + skip) % ring_.size();
        size_t first = std::min(n, ring_.size() - start);
        std::memcpy(dst, ring_.data() + start, first);
        std::memcpy(dst + first, ring_.data(), n - first);
        return n;
    }

    void consume(size_t n) noexcept {
        n = std::min(n, size_);
        head_ = size_ == n ? 0 : (head_ + n) % ring_.size();
        size_ -= n;
    }

    void clear() noexcept { head_ = size_ = 0; }

private:
    void grow(size_t need) {
        size_t cap = std::max<size_t>(need, ring_.empty() ? 4096 : ring_.size() * 2);
        std::vector<char> fresh(cap);
        peek(fresh.data(), size_, 0);
        ring_.swap(fresh);
        head_ = 0;
    }

    std::vector<char> ring_;
    size_t head_ = 0;
    size_t size_ = 0;
};

} // namespace zsock::simnet
